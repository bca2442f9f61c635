// Writing an output file so that nobody ever sees it half-written, and so that only the file
// itself is ever replaced: every output rnnjit writes (checkpoints, safetensors, summaries,
// metrics, figures) goes through here.
//
// What `path` is decides how it is written:
//   a regular file or nothing   a temporary file beside it, fsync, rename over it (atomic), then
//                               an fsync of the folder; an existing file keeps its permissions;
//   a symbolic link             the same, at the file the link points to (the link stays a link);
//   a device, FIFO or socket    written directly (`-o /dev/stdout` is a reasonable thing to type,
//                               and renaming over a device node would replace it with a file);
//   a folder                    an error.
// Failures throw std::runtime_error naming the file and the reason; the temporary file is removed.
#pragma once

#include <string>

namespace rnnjit {

void write_file_atomic(const std::string& path, const std::string& bytes);

// The name write_file_atomic gives its temporary file for `path`'s file name: ".<name>.tmp<n>".
// Such a file left behind by a killed process is an orphan (see is_orphan_temporary).
bool is_orphan_temporary(const std::string& file_name);

}  // namespace rnnjit
