// JsonFields: the one checked reader of configuration objects from untrusted JSON. GoogleTest, no Qt.
#include <gtest/gtest.h>

#include "core/JsonFields.h"

using namespace waft::engine;

TEST(JsonFields, ReadsTypedFieldsWithDefaults) {
    auto f = JsonFields::parse(R"({"n":7,"x":0.5,"b":true,"s":"hi","c":"v","list":[1,2,3],"inner":{"k":2}})", "cfg");
    ASSERT_TRUE(f.hasValue()) << f.status().message();
    EXPECT_EQ(f->integer("n", 0, 0, 10), 7);
    EXPECT_DOUBLE_EQ(f->real("x", 0.0, 0.0, 1.0), 0.5);
    EXPECT_TRUE(f->boolean("b", false));
    EXPECT_EQ(f->string("s", ""), "hi");
    EXPECT_EQ(f->choice("c", "epsilon", {"epsilon", "v"}), "v");
    EXPECT_EQ(f->integers("list", {}, 8, 0, 9), (std::vector<int>{1, 2, 3}));
    JsonFields inner = f->object("inner");
    EXPECT_EQ(inner.integer("k", 0, 0, 5), 2);
    EXPECT_EQ(f->integer("missing", 42, 0, 100), 42);  // absent: the default, no error
    EXPECT_EQ(inner.integer("missing", 9, 0, 100), 9);
    EXPECT_TRUE(f->has("n"));
    EXPECT_FALSE(f->has("missing"));
    EXPECT_TRUE(f->status().isOk());
}

// A present field of the wrong type or out of range is an error naming the field, never a silent default.
TEST(JsonFields, AWrongFieldIsOneLineNamingIt) {
    struct Case {
        const char* text;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {R"({"n":"7"})", "field 'n' must be an integer in 1..64, got '\"7\"'"},
        {R"({"n":0})", "field 'n' must be an integer in 1..64, got '0'"},
        {R"({"n":1e3})", "field 'n' must be an integer"},
        {R"({"n":18446744073709551615})", "field 'n' must be an integer"},
        {R"({"n":-9223372036854775808})", "field 'n' must be an integer"},
        {R"({"x":null})", "field 'x' must be a number"},
        {R"({"x":2})", "field 'x' must be a number"},
        {R"({"b":1})", "field 'b' must be true or false"},
        {R"({"s":5})", "field 's' must be a string"},
        {R"({"c":"w"})", "field 'c' must be one of epsilon, v"},
        {R"({"list":[1,99]})", "field 'list' must be a list of at most 4 integers in 0..9"},
        {R"({"list":[1,2,3,4,5]})", "field 'list' must be a list of at most 4"},
        {R"({"list":[1,"2"]})", "field 'list' must be a list"},
        {R"({"inner":[]})", "field 'inner' must be an object"},
        {R"({"inner":{"k":-1}})", "field 'inner.k' must be an integer in 0..5"},
    };
    for (const Case& c : cases) {
        auto f = JsonFields::parse(c.text, "model.safetensors: config");
        ASSERT_TRUE(f.hasValue()) << c.text;
        f->integer("n", 1, 1, 64);
        f->real("x", 0.0, 0.0, 1.0);
        f->boolean("b", false);
        f->string("s", "", 16);
        f->choice("c", "epsilon", {"epsilon", "v"});
        f->integers("list", {}, 4, 0, 9);
        JsonFields inner = f->object("inner");
        inner.integer("k", 0, 0, 5);
        const Status s = f->status();
        ASSERT_FALSE(s.isOk()) << c.text;
        EXPECT_EQ(s.code(), StatusCode::CorruptData);
        EXPECT_NE(s.message().find("model.safetensors: config: " + c.expected), std::string::npos)
            << c.text << " -> " << s.message();
        EXPECT_EQ(s.message().find('\n'), std::string::npos);
        EXPECT_EQ(inner.status().message(), s.message());  // one error shared by nested readers
    }
}

TEST(JsonFields, RefusesHostileDocumentsBeforeParsing) {
    EXPECT_FALSE(JsonFields::parse(std::string(200, '[') + std::string(200, ']'), "x").hasValue());    // nesting
    EXPECT_FALSE(JsonFields::parse("{\"a\":\"" + std::string(2 << 20, 'a') + "\"}", "x").hasValue());  // size
    EXPECT_FALSE(JsonFields::parse("[1,2]", "x").hasValue());                                          // not an object
    EXPECT_FALSE(JsonFields::parse("{\"a\":", "x").hasValue());                                        // cut short
    EXPECT_FALSE(JsonFields::parse("", "x").hasValue());
    // Closing brackets inside a string neither count nor cancel real nesting.
    EXPECT_FALSE(JsonFields::parse(R"({"x":"]]]]]]]]","k":[[[[[[1]]]]]]})", "x", 1 << 20, 4).hasValue());
    EXPECT_TRUE(JsonFields::parse(R"({"x":"[[[[[[[[\"[[["})", "x", 1 << 20, 4).hasValue());
    // A structure in the wrong place is named by type, never dumped.
    auto wrong = JsonFields::parse(R"({"n":[[1]]})", "x");
    ASSERT_TRUE(wrong.hasValue());
    wrong->integer("n", 0, 0, 1);
    EXPECT_NE(wrong->status().message().find("got an array"), std::string::npos) << wrong->status().message();
    const auto long_string = JsonFields::parse("{\"s\":\"" + std::string(5000, 'a') + "\"}", "x");
    ASSERT_TRUE(long_string.hasValue());
    auto f = *long_string;
    f.string("s", "", 4096);
    EXPECT_FALSE(f.status().isOk());
    EXPECT_LT(f.status().message().size(), 200u);  // the value is quoted short
}
