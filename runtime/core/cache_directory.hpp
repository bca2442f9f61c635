// Where rnnjit keeps compiled kernels between processes, for every backend that caches them on
// disk: $XDG_CACHE_HOME/rnnjit (~/.cache/rnnjit without XDG_CACHE_HOME); RNNJIT_CACHE_DIR names
// another folder, and RNNJIT_CACHE_DIR=off keeps everything in memory. The environment is read on
// every call, so a test can point the caches elsewhere before it compiles.
#pragma once

#include <filesystem>
#include <optional>

namespace rnnjit {

// The cache's root folder (it may not exist yet), or nullopt when the disk caches are off or no
// home folder is known.
std::optional<std::filesystem::path> kernel_cache_directory();

}  // namespace rnnjit
