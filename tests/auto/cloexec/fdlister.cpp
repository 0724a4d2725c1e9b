// SPDX-License-Identifier: MIT
// Lists this process's open descriptors, one "number target" line each (readlink of
// /proc/self/fd/N), leaving out the descriptor of the listing itself. Exec'd by tst_cloexec.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) {
        perror("opendir /proc/self/fd");
        return 2;
    }
    const int own = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.' || atoi(entry->d_name) == own)
            continue;
        char link[64], target[512];
        snprintf(link, sizeof link, "/proc/self/fd/%s", entry->d_name);
        const ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        printf("%s %s\n", entry->d_name, n > 0 ? target : "?");
    }
    closedir(dir);
    return fflush(stdout) == 0 ? 0 : 2;
}
