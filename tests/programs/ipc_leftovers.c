/* Tries to leave things behind for a later run: "plant" makes SysV shared
 * memory, a message queue and a semaphore set (key argv[2]) and files in
 * /tmp, /var/tmp and /dev/shm and a key in its uid's keyring (named
 * argv[3]); "probe" looks for them. Prints one word per thing: shm, msg,
 * sem, tmp, vartmp, devshm, key, each followed by ":" and "made"/"found"
 * or the errno name. "clean" removes the key again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *what, int ok, const char *word)
{
    printf("%s:%s ", what, ok ? word : strerrorname_np(errno));
}

int main(int argc, char **argv)
{
    int plant = argc > 1 && !strcmp(argv[1], "plant");
    if (argc > 3 && !strcmp(argv[1], "clean")) {
        long id = syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -4L, "user", argv[3], 0);
        return id >= 0 && syscall(SYS_keyctl, 9 /* KEYCTL_UNLINK */, id, -4L) < 0;
    }
    key_t key = argc > 2 ? atoi(argv[2]) : 4242;
    const char *name = argc > 3 ? argv[3] : "sio-leftover";
    int create = plant ? IPC_CREAT | 0666 : 0;
    const char *word = plant ? "made" : "found";
    say("shm", shmget(key, 4096, create) >= 0, word);
    say("msg", msgget(key, create) >= 0, word);
    say("sem", semget(key, 1, create) >= 0, word);
    const char *dirs[][2] = {{"tmp", "/tmp"}, {"vartmp", "/var/tmp"}, {"devshm", "/dev/shm"}};
    for (int i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dirs[i][1], name);
        int fd = open(path, plant ? O_WRONLY | O_CREAT | O_EXCL : O_RDONLY, 0666);
        say(dirs[i][0], fd >= 0, word);
        if (fd >= 0)
            close(fd);
    }
    const long user_keyring = -4;  /* KEY_SPEC_USER_KEYRING */
    long key_id = plant ? syscall(SYS_add_key, "user", name, "x", 1, user_keyring)
                        : syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, user_keyring,
                                  "user", name, 0);
    say("key", key_id >= 0, word);
    printf("\n");
    return 0;
}
