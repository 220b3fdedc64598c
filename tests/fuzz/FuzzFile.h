#pragma once
// Readers that take a path get the fuzzer's bytes through one file per process in /dev/shm (or /tmp).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

inline std::string writeFuzzInput(const uint8_t* data, size_t size, const char* suffix) {
    static const std::string path = [&] {
        const char* shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        return std::string(shm) + "/waft-fuzz-" + std::to_string(getpid()) + suffix;
    }();
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        if (size) std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    return path;
}
