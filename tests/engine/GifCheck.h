#pragma once
// A strict GIF89a reader for the tests of the GIF writer (tst_GifWriter, fuzz_gif): every block in bounds, each
// image inside the screen, each image's LZW stream decoding (appendix F, with the decoder's code-width rule)
// to exactly its rectangle's pixel count and ending with the end code. Lenient decoders (FFmpeg, browsers) stop
// at the pixel count and would not see a broken tail.
#include <cstdint>
#include <string>
#include <vector>

// "" when well-formed (and *images = the image count), else what is wrong.
std::string checkGif(const std::vector<uint8_t>& gif, int width, int height, int* images = nullptr);
// The fuzz target's input path: bytes -> size, fps, loop and frames (some of the wrong size or type, which must
// be refused) -> GifWriter -> path -> checkGif. "" when the writer behaved.
std::string gifFromFuzzBytes(const uint8_t* data, size_t size, const std::string& path);
