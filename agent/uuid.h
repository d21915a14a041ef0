/* uuid.h: random (version 4) UUIDs for run ids, from the kernel's getrandom. */
#ifndef BG_UUID_H
#define BG_UUID_H

#define BG_UUID_LEN 36 /* characters, without the terminator */

/* Writes a new lowercase v4 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx") and its
 * terminator into out. Returns BG_OK or BG_EIO when the kernel gives no randomness. */
int bg_uuid_v4(char out[BG_UUID_LEN + 1]);

#endif
