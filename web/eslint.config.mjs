// ESLint flat config for the dashboard's ES modules (web/**/*.js but node_modules), run by
// tests/integration/test_web_lint.sh. ESLint and its recommended rules are installed in
// tests/browser/node_modules (web/ itself ships only what the browser loads), so they are
// resolved from there. The browser globals are listed by hand: a name not listed here is a
// typo or a global the pages should not use.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/browser/package.json', import.meta.url));
const js = require('@eslint/js');

const browser = Object.fromEntries([
  'window', 'document', 'location', 'history', 'navigator', 'console', 'performance',
  'fetch', 'Headers', 'Request', 'Response', 'AbortController', 'URL', 'URLSearchParams',
  'sessionStorage', 'localStorage', 'setTimeout', 'clearTimeout', 'setInterval',
  'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame', 'queueMicrotask',
  'getComputedStyle', 'matchMedia', 'devicePixelRatio', 'ResizeObserver',
  'IntersectionObserver', 'MutationObserver', 'Node', 'Element', 'HTMLElement',
  'HTMLCanvasElement', 'SVGElement', 'Event', 'CustomEvent', 'KeyboardEvent', 'MouseEvent',
  'DOMParser', 'Intl', 'structuredClone', 'Path2D', 'DOMRect',
].map(name => [name, 'readonly']));

export default [
  { ignores: ['node_modules/**'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: browser,
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
];
