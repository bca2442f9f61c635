// Tensors and safetensors files: round trips, the exact byte layout, and every malformed-file error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <cstring>
#include <random>

#include "runtime/core/safetensors.hpp"

namespace fs = std::filesystem;
using namespace rnnjit;

namespace {

fs::path temp_dir() {
  std::random_device rd;
  fs::path d = fs::temp_directory_path() / ("rnnjit_st_" + std::to_string(rd()));
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Safetensors, RoundTripsF32AndF64WithMetadata) {
  fs::path d = temp_dir();
  std::mt19937 rng(11);
  std::normal_distribution<double> n;
  Tensor a(DType::F32, {2, 3, 5}), b(DType::F64, {7});
  for (float& v : a.span<float>()) v = static_cast<float>(n(rng));
  for (double& v : b.span<double>()) v = n(rng);
  write_safetensors((d / "x.safetensors").string(), {{"a", a}, {"b", b}}, {{"k", "v"}});
  Metadata meta;
  TensorMap back = read_safetensors((d / "x.safetensors").string(), &meta);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at("a").shape(), a.shape());
  EXPECT_EQ(back.at("a").dtype(), DType::F32);
  EXPECT_EQ(back.at("b").dtype(), DType::F64);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(back.at("a").data<float>()[i], a.data<float>()[i]);
  for (int64_t i = 0; i < b.numel(); ++i) EXPECT_EQ(back.at("b").data<double>()[i], b.data<double>()[i]);
  EXPECT_EQ(meta.at("k"), "v");
  // No temporary file is left behind by the atomic write.
  int files = 0;
  for (auto& e : fs::directory_iterator(d)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(d);
}

TEST(Safetensors, LayoutIsLittleEndianLengthThenJsonThenAlignedData) {
  fs::path d = temp_dir();
  Tensor a = Tensor::f32({2}, {1.5f, -2.0f});
  write_safetensors((d / "x.safetensors").string(), {{"w", a}});
  std::string bytes = slurp(d / "x.safetensors");
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  EXPECT_EQ((8 + len) % 8, 0u);
  std::string header = bytes.substr(8, len);
  EXPECT_NE(header.find("\"dtype\":\"F32\""), std::string::npos) << header;
  EXPECT_NE(header.find("\"data_offsets\":[0,8]"), std::string::npos) << header;
  float back[2];
  std::memcpy(back, bytes.data() + 8 + len, 8);
  EXPECT_EQ(back[0], 1.5f);
  EXPECT_EQ(back[1], -2.0f);
  fs::remove_all(d);
}

TEST(Safetensors, MalformedFilesAreRejectedWithTheirPath) {
  fs::path d = temp_dir();
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(d / name, std::ios::binary) << bytes;
    return (d / name).string();
  };
  auto header = [](const std::string& json) {
    std::string s(8, '\0');
    uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s + json;
  };
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      read_safetensors(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(write("short", "abc"), "shorter than");
  expect_error(write("long", header("{}").substr(0, 8) + "{"), "exceeds");
  expect_error(write("json", header("{not json}")), "not JSON");
  expect_error(write("f16", header(R"({"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})") + "ab"), "F16");
  expect_error(write("size", header(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})") + "abcd"),
               "needs 8 bytes");
  expect_error(write("oob", header(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})")), "outside");
  expect_error((d / "missing").string(), "cannot open");
  fs::remove_all(d);
}

TEST(Tensor, ShapeChecksNameBothShapes) {
  Tensor t(DType::F32, {3, 4});
  try {
    check_shape("Wo", t, {256, 256});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "tensor 'Wo' has shape [3,4] but [256,256] is expected");
  }
  EXPECT_THROW(Tensor::f32({2, 2}, {1, 2, 3}), ShapeError);
  EXPECT_THROW(t.data<double>(), std::logic_error);
  Tensor d = t.to(DType::F64);
  EXPECT_EQ(d.dtype(), DType::F64);
  EXPECT_EQ(d.shape(), t.shape());
}

}  // namespace
