#include "runtime/core/safetensors.hpp"

#include "runtime/core/atomic_write.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace rnnjit {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": not a valid safetensors file: " + what);
}

}  // namespace

TensorMap read_safetensors(const std::string& path, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) bad(path, "shorter than its 8-byte header length");
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > file_size - 8) bad(path, "header length " + std::to_string(header_len) + " exceeds the file");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const std::exception& e) {
    bad(path, std::string("header is not JSON: ") + e.what());
  }
  if (!j.is_object()) bad(path, "header is not a JSON object");
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;

  TensorMap out;
  for (auto& [name, entry] : j.items()) {
    if (name == "__metadata__") {
      if (metadata)
        for (auto& [k, v] : entry.items()) (*metadata)[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
      bad(path, "entry '" + name + "' lacks dtype, shape or data_offsets");
    const std::string dtype = entry["dtype"].get<std::string>();
    DType d;
    if (dtype == "F32") {
      d = DType::F32;
    } else if (dtype == "F64") {
      d = DType::F64;
    } else {
      throw std::runtime_error(path + ": tensor '" + name + "' has dtype " + dtype +
                               "; rnnjit reads F32 and F64 (convert it first)");
    }
    std::vector<int64_t> shape = entry["shape"].get<std::vector<int64_t>>();
    auto offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
    if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size)
      bad(path, "tensor '" + name + "' has data_offsets outside the file");
    Tensor t(d, shape);
    if (offsets[1] - offsets[0] != t.nbytes())
      bad(path, "tensor '" + name + "' of shape " + t.shape_str() + " " + dtype + " needs " +
                    std::to_string(t.nbytes()) + " bytes but has " + std::to_string(offsets[1] - offsets[0]));
    in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
    in.read(static_cast<char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
    if (!in) bad(path, "short read in tensor '" + name + "'");
    out.emplace(name, std::move(t));
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (auto& [name, t] : tensors) {  // std::map: sorted names, as the reference writer does
    header[name] = {{"dtype", std::string(rnnjit::name(t.dtype()))},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');  // keep the data 8-byte aligned
  std::string bytes;
  bytes.reserve(8 + h.size() + offset);
  uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  bytes += h;
  for (auto& [name, t] : tensors) bytes.append(static_cast<const char*>(t.raw()), t.nbytes());
  write_file_atomic(path, bytes);
}

}  // namespace rnnjit
