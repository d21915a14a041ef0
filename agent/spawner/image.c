/* image.c: the spawn helper's executable (spawner/main.c, linked statically), embedded in the
 * agent as bytes so that the agent needs no second file to find at run time. */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".globl bg_spawner_image\n"
        ".type bg_spawner_image, @object\n"
        "bg_spawner_image:\n"
        ".incbin \"" BG_SPAWNER_IMAGE "\"\n"
        ".globl bg_spawner_image_end\n"
        "bg_spawner_image_end:\n"
        ".previous\n");
