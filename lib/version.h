/* version.h: benchgate's version, one for the server, the agent and the runs it uploads.
 *
 * The number lives in one place, project(benchgate VERSION ...) in the top CMakeLists.txt,
 * which defines BG_VERSION for every target; this header is where code gets it from, so a
 * build that lost the definition fails here instead of printing a stale number.
 */
#ifndef BG_VERSION_H
#define BG_VERSION_H

#ifndef BG_VERSION
#error "BG_VERSION is defined by CMake from project(VERSION); build with CMake"
#endif

#endif
