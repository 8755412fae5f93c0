// Paths that annotation files name (the image column of landmarks.csv, a
// labelme imagePath) stay inside the dataset folder: an annotation file is
// data, often from someone else, and must not make heatmark open
// "../../etc/passwd", "/etc/passwd" or what a symbolic link in the folder
// points at elsewhere, unless the user says so (--allow-outside-paths, for
// datasets that keep their images next to the annotations on purpose).
#pragma once

#include <string>

namespace heatmark {

// `name` (as written in the annotation) joined to the dataset `folder`, as
// the path to open. Unless `allow_outside`, throws heatmark::Error when it
// escapes the folder, lexically (.., an absolute path) or, where the file
// exists, through a symbolic link; the message starts with `where` (the
// annotation file and line):
//   "a/landmarks.csv line 3: image '../../etc/passwd' is outside the dataset folder
//    (give --allow-outside-paths to allow it)"
std::string annotated_path(const std::string& folder, const std::string& name, const std::string& where,
                           bool allow_outside);

}  // namespace heatmark
