// native/io/afxdp/library_info.h — versions of the libraries the AF_XDP backend is built on
// (libbpf, libxdp via pkg-config), reported by `xvs run` at start. Any thread.
#pragma once
#include <string>

namespace xvs::io::afxdp {
std::string library_versions();
}
