// The safetensors reader and writer: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"

using namespace waft::engine;

namespace {

std::vector<uint8_t> withHeader(const std::string& header, size_t dataBytes) {
    const uint64_t n = header.size();
    std::vector<uint8_t> out(8 + header.size() + dataBytes, 0);
    for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t(n >> (8 * i));
    std::copy(header.begin(), header.end(), out.begin() + 8);
    return out;
}

// One malformed file: its bytes, and a word the one-line error must contain.
struct MalformedFile {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string expected;
};

std::vector<MalformedFile> malformedFiles() {
    std::vector<MalformedFile> rows;
    const auto add = [&](const char* name, const std::vector<uint8_t>& b, const char* word) {
        rows.push_back({name, b, word});
    };
    const std::string ok = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    add("empty file", {}, "shorter");
    add("seven bytes", {1, 0, 0, 0, 0, 0, 0}, "shorter");
    {
        std::vector<uint8_t> b = withHeader(ok, 8);
        b[6] = 0x10;  // header size ~ 4.5e15
        add("oversized header", b, "limit");
    }
    {
        std::vector<uint8_t> b = withHeader(ok, 8);
        b[0] = uint8_t(b[0] + 100);
        add("header past end", b, "truncated");
    }
    add("zero header", withHeader("", 0), "empty");
    add("not json", withHeader("{\"t\": [1, 2", 0), "JSON");
    add("json array", withHeader("[1, 2, 3]", 0), "'{'");
    add("leading space", withHeader(" {}", 0), "'{'");
    add("unknown dtype", withHeader(R"({"t":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", 2), "dtype");
    add("negative extent", withHeader(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "extent");
    add("fractional extent", withHeader(R"({"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", 8), "extent");
    add("absurd extent",
        withHeader(R"({"t":{"dtype":"F32","shape":[1099511627777,1099511627777],"data_offsets":[0,8]}})", 8), "extent");
    add("missing offsets", withHeader(R"({"t":{"dtype":"F32","shape":[2]}})", 8), "data_offsets");
    add("offsets past end", withHeader(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8), "truncated");
    add("offsets reversed", withHeader(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8),
        "end before begin");
    add("size mismatch", withHeader(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "needs 12 bytes");
    add("overlap",
        withHeader(
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
            8),
        "overlap");
    add("hole", withHeader(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "hole");
    add("trailing bytes", withHeader(ok, 12), "not owned");
    add("metadata not strings", withHeader(R"({"__metadata__":{"k":3}})", 0), "metadata");
    add("metadata not object", withHeader(R"({"__metadata__":"x"})", 0), "__metadata__");
    add("duplicate names",
        withHeader(
            R"({"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"t":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
            2),
        "repeats");
    add("entry not object", withHeader(R"({"t":7})", 0), "not an object");
    // A dtype nested 60,000 deep: refused before the recursive parser (or an error message) walks it.
    add("deep dtype",
        withHeader(R"({"t":{"dtype":)" + std::string(60000, '[') + std::string(60000, ']') +
                       R"(,"shape":[],"data_offsets":[0,0]}})",
                   0),
        "nested too deeply");
    add("long dtype",
        withHeader(R"({"t":{"dtype":")" + std::string(5000, 'x') + "\\n" + R"(","shape":[],"data_offsets":[0,0]}})", 0),
        "unknown dtype 'xxxx");
    {
        std::vector<uint8_t> b = withHeader(ok, 8);
        b.resize(b.size() - 3);
        add("truncated data", b, "truncated");
    }
    return rows;
}

}  // namespace

TEST(SafetensorsFile, RoundTripsTensorsAndMetadata) {
    SafetensorsWriter writer;
    const std::vector<float> a = {1.0f, -2.5f, 3.25f, 1e-3f, 7.0f, 0.0f};
    const std::vector<uint8_t> b = {1, 2, 3, 250};
    ASSERT_TRUE(writer.addFloat("a", {2, 3}, a.data()).isOk());
    ASSERT_TRUE(writer.addFloat("a_half", {6}, a.data(), DType::F16).isOk());
    ASSERT_TRUE(writer.addTensor("b", DType::U8, {4}, b.data(), b.size()).isOk());
    writer.setMetadata("format", "test");
    const std::vector<uint8_t> bytes = writer.serialize();
    EXPECT_EQ((bytes.size() - 8 - (bytes[0] | bytes[1] << 8)), size_t(6 * 4 + 6 * 2 + 4));
    EXPECT_EQ(int((bytes[0] | bytes[1] << 8) % 8), 0);  // header padded to 8-byte alignment

    auto file = SafetensorsFile::parse(bytes);
    ASSERT_TRUE(file.hasValue()) << file.status().message();
    EXPECT_EQ(file->metadata().at("format"), std::string("test"));
    EXPECT_EQ(file->readFloat("a", {2, 3}).value(), a);
    const std::vector<float> half = file->readFloat("a_half", {-1}).value();
    ASSERT_EQ(half.size(), a.size());
    for (size_t i = 0; i < a.size(); ++i)
        EXPECT_TRUE(std::abs(half[i] - a[i]) <= 1e-3f * std::abs(a[i]) + 1e-7f) << i << ": " << half[i];
    EXPECT_EQ(file->readU8("b").value(), b);
    EXPECT_FALSE(file->readFloat("b").hasValue());          // wrong dtype
    EXPECT_FALSE(file->readFloat("a", {3, 2}).hasValue());  // wrong shape
    EXPECT_FALSE(file->readFloat("missing").hasValue());
}

TEST(SafetensorsFile, ZeroSizedTensorsAreFine) {
    SafetensorsWriter writer;
    ASSERT_TRUE(writer.addTensor("empty", DType::F32, {0, 3}, nullptr, 0).isOk());
    auto file = SafetensorsFile::parse(writer.serialize());
    ASSERT_TRUE(file.hasValue()) << file.status().message();
    EXPECT_EQ(file->readFloat("empty").value().size(), size_t(0));
}

class SafetensorsMalformed : public ::testing::TestWithParam<MalformedFile> {};

TEST_P(SafetensorsMalformed, IsRejectedWithOneLine) {
    const MalformedFile& row = GetParam();
    auto file = SafetensorsFile::parse(row.bytes);
    ASSERT_FALSE(file.hasValue());
    const std::string message = file.status().message();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find(row.expected), std::string::npos) << message;
    EXPECT_EQ(file.status().code(), StatusCode::CorruptData);
}

INSTANTIATE_TEST_SUITE_P(SafetensorsFile, SafetensorsMalformed, ::testing::ValuesIn(malformedFiles()),
                         [](const auto& info) { return waft::test::paramName(info.param.name); });

TEST(SafetensorsFile, MissingFileIsAnIoError) {
    auto file = SafetensorsFile::open("/nonexistent/model.safetensors");
    ASSERT_FALSE(file.hasValue());
    EXPECT_EQ(file.status().code(), StatusCode::IoError);
}

// A 2 GiB checkpoint opens without being read: header first, then a mapping that costs resident memory
// only for what is touched. Also: the same file opened and parsed from memory agree, openHeader() maps
// nothing, and a small header in front of gigabytes of trailing bytes is refused without reading them.
TEST(SafetensorsFile, BigFilesOpenMapped) {
    const std::string dir = waft::test::tempDir("big");
    const uint64_t big = uint64_t(2) << 30;
    const auto writeSparse = [&](const std::string& path, uint64_t tensorBytes, uint64_t fileData) {
        std::string header = R"({"__metadata__":{"format":"test"},"big":{"dtype":"U8","shape":[)" +
                             std::to_string(tensorBytes) + R"(],"data_offsets":[0,)" + std::to_string(tensorBytes) +
                             "]}}";
        header.resize((header.size() + 7) / 8 * 8, ' ');
        std::ofstream out(path, std::ios::binary);
        uint8_t size[8];
        for (int i = 0; i < 8; ++i) size[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
        out.write(reinterpret_cast<const char*>(size), 8);
        out << header;
        out.close();
        std::filesystem::resize_file(path, 8 + header.size() + fileData);  // a hole: no disk, no reads
    };
    const std::string path = dir + "/big.safetensors";
    writeSparse(path, big, big);
    const long before = waft::test::residentKiB();
    auto file = SafetensorsFile::open(path);
    ASSERT_TRUE(file.hasValue()) << file.status().message();
    const TensorInfo* info = file->find("big");
    ASSERT_TRUE(info && info->numel() == int64_t(big));
    const uint8_t* bytes = file->data(*info);
    EXPECT_EQ(int(bytes[0]) + int(bytes[big / 2]) + int(bytes[big - 1]), 0);  // touch three pages
    const long grownKiB = waft::test::residentKiB() - before;
    std::printf("2 GiB file open: resident memory grew by %ld KiB\n", grownKiB);
    EXPECT_LT(grownKiB, 64 * 1024);
    EXPECT_EQ(file->metadata().at("format"), std::string("test"));

    auto header = SafetensorsFile::openHeader(path);
    ASSERT_TRUE(header.hasValue() && !header->hasData());
    EXPECT_FALSE(header->readU8("big").hasValue());  // a clear error, not a null read

    const std::string padded = dir + "/padded.safetensors";
    writeSparse(padded, 16, big);  // 16 bytes of tensor, 2 GiB of trailing bytes
    const long beforePadded = waft::test::residentKiB();
    auto refused = SafetensorsFile::open(padded);
    ASSERT_FALSE(refused.hasValue());
    EXPECT_NE(refused.status().message().find("not owned by any tensor"), std::string::npos)
        << refused.status().message();
    EXPECT_LT(waft::test::residentKiB() - beforePadded, 16 * 1024);
}

TEST(SafetensorsFile, AtomicSaveKeepsTheOldFileOnFailure) {
    const std::string dir = waft::test::tempDir("atomic");
    const std::string path = dir + "/x.safetensors";
    SafetensorsWriter writer;
    const float one = 1.0f;
    ASSERT_TRUE(writer.addFloat("x", {1}, &one).isOk());
    ASSERT_TRUE(writer.save(path).isOk());
    EXPECT_FALSE(writer.save(dir + "/missing-folder/x.safetensors").isOk());
    EXPECT_EQ(SafetensorsFile::open(path)->readFloat("x").value(), std::vector<float>{1.0f});
    EXPECT_EQ(int(std::distance(std::filesystem::directory_iterator(dir), {})), 1);  // no temp left behind
}
