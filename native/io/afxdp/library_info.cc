// native/io/afxdp/library_info.cc — see library_info.h.
#include "io/afxdp/library_info.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

namespace xvs::io::afxdp {

std::string library_versions() {
  char probe[64];
  // libxdp has no version call; formatting one of its own error codes proves it is linked.
  libxdp_strerror(0, probe, sizeof probe);
  return std::string("libbpf ") + libbpf_version_string() + ", libxdp linked";
}

}  // namespace xvs::io::afxdp
