// native/io/dpdk/dpdk_entry.h — how the engine makes a DPDK backend without knowing DPDK: one
// function, linked from dpdk_backend.cc in the DPDK build (`npm run build:dpdk`, cmake-js) and
// from dpdk_absent.cc in the default build (node-gyp), which says how to get the other. Control
// thread.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/backend.h"

namespace xvs::io::dpdk {

struct DpdkOptions {
  std::string driver = "af_xdp";        // af_xdp | af_packet: the vdev made on each kernel interface
  std::vector<std::string> interfaces;  // kernel interfaces (with driver), one port each
  std::vector<std::string> devices;     // or PCI addresses (then interfaces only name them)
  std::vector<std::string> eal;         // extra EAL arguments
  uint32_t workers = 1;
};

CreateError create_backend(const DpdkOptions& options, std::unique_ptr<Backend>& out, std::string& message);

}  // namespace xvs::io::dpdk
