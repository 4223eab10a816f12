// native/io/dpdk/dpdk_absent.cc — create_backend (dpdk_entry.h) in a build without DPDK: the
// default addon, built by node-gyp without libdpdk. Control thread.
#include "io/dpdk/dpdk_entry.h"

namespace xvs::io::dpdk {

CreateError create_backend(const DpdkOptions&, std::unique_ptr<Backend>&, std::string& message) {
  message = "backend 'dpdk' is not built into this data plane: install DPDK (apt-get install -y libdpdk-dev) and run npm run build:dpdk";
  return CreateError::not_built;
}

}  // namespace xvs::io::dpdk
