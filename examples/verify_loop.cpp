// The web site's decision, per request, in C++: send the user to the cache
// tier when it has the file, to the origin otherwise.
//
//     verify_loop http://downloads.yourserver.com/ some_big_file.mp3 [more names...]
//
// Each name stands for one page request; like the original Python users, the
// site makes a new client per request, and the status cache is shared.
#include <cache_tier/client.hpp>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s BASE_URL NAME [NAME...]\n", argv[0]);
        return 2;
    }
    try {
        for (int i = 2; i < argc; ++i) {
            cache_tier::ClientOptions options;
            options.local_cache_time = std::chrono::seconds(20);
            cache_tier::Client cache(argv[1], options);

            const char* name = argv[i];
            if (cache.verify_file(name))
                std::printf("cache-tier: %s\n", cache.build_download_url(name).c_str());  // send the user here
            else
                std::printf("origin: %s\n", name);  // serve directly from the origin
        }
    } catch (const cache_tier::CacheError& e) {
        std::fprintf(stderr, "verify_loop: %s\n", e.what());
        return 2;
    }
    return 0;
}
