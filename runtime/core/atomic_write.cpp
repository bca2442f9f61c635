#include "runtime/core/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace rnnjit {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(err));
}

// Writes all of `bytes` to `fd`, retrying short writes and EINTR; returns 0 or the errno.
int write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(w);
  }
  return 0;
}

// Follows `path` through symbolic links (relative ones from the link's folder) to the file they
// name, which need not exist yet. Stops after 40 links, as the kernel does.
fs::path follow_links(const fs::path& path) {
  fs::path p = path;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) return p;
    const fs::path next = fs::read_symlink(p, ec);
    if (ec) fail(path.string(), "cannot read the symbolic link", ec.value());
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  throw std::runtime_error(path.string() + ": too many levels of symbolic links");
}

// A device node, FIFO or socket: written in place (O_TRUNC means nothing to most of them).
void write_in_place(const std::string& shown, const fs::path& target, const std::string& bytes) {
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(shown, "cannot open for writing", errno);
  const int err = write_all(fd, bytes);
  ::close(fd);
  if (err) fail(shown, "write failed", err);
}

void sync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // durability of the rename is best effort; the data itself was synced
  ::fsync(fd);
  ::close(fd);
}

void replace_atomically(const std::string& shown, const fs::path& target, const std::string& bytes,
                        const struct stat* existing) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device rd;
  const fs::path tmp = dir / ("." + target.filename().string() + ".tmp" + std::to_string(rd()));
  const mode_t mode = existing ? (existing->st_mode & 07777) : 0644;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail(shown, "cannot write", errno);
  if (existing) ::fchmod(fd, mode);  // the umask must not narrow a file's permissions
  int err = write_all(fd, bytes);
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), target.c_str()) != 0) err = errno;
  if (err) {
    ::unlink(tmp.c_str());
    fail(shown, "write failed", err);
  }
  sync_folder(dir);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const fs::path target = follow_links(path);
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw std::runtime_error(path + ": is a folder, not a file");
    if (!S_ISREG(st.st_mode)) return write_in_place(path, target, bytes);
    return replace_atomically(path, target, bytes, &st);
  }
  if (errno != ENOENT) fail(path, "cannot write", errno);
  replace_atomically(path, target, bytes, nullptr);
}

bool is_orphan_temporary(const std::string& name) {
  const size_t at = name.rfind(".tmp");
  if (name.size() < 2 || name[0] != '.' || at == std::string::npos || at < 2) return false;
  for (size_t i = at + 4; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return at + 4 < name.size();
}

}  // namespace rnnjit
