// test/native/syn_proxy_fixture.h — what the SYN proxy's packet tests (syn_proxy_test.cc,
// syn_proxy6_test.cc, syn_proxy_nat64_test.cc) share: the names they use and the handshake's
// fixed numbers (the client's port and ISN, the server's ISN).
#pragma once
#include <cstdint>

#include "abi/counters.h"
#include "core/net.h"
#include "dataplane_fixture.h"
#include "lb/syn_proxy.h"

namespace xvs::test::proxy {

using xvs::abi::Counter;
using xvs::core::kTcpAck;
using xvs::core::kTcpFin;
using xvs::core::kTcpRst;
using xvs::core::kTcpSyn;
using xvs::lb::ConnState;
using xvs::lb::Verdict;

inline constexpr uint16_t kCport = 40000;
inline constexpr uint32_t kClientIsn = 1000;
inline constexpr uint32_t kServerIsn = 5000;

}  // namespace xvs::test::proxy
