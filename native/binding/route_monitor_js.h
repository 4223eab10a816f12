// native/binding/route_monitor_js.h — the JS class `RouteMonitor` around kernel/route_monitor.h:
// `new RouteMonitor(onChanges)` subscribes to the kernel's IPv4 neighbour, route, link and
// address notifications of the calling thread's network namespace and calls
// onChanges({ neighbours: [{ address, ifindex, state, mac, deleted }], routes, links, addresses,
// overflow, error? }) on that same JS thread (the control worker) whenever some arrived;
// close() stops it (idempotent). Used by src/control/worker/nexthop/follow.ts.
//
// How the thread is woken: a libuv poll handle (uv_poll_t) on the netlink socket, in the event
// loop of the JS thread that created the monitor. Chosen over a native thread blocking in
// recv() that calls a ThreadSafeFunction because
//  - no thread to start, wake up for close() and join: closing is uv_poll_stop + uv_close, and
//    the socket is closed in libuv's close callback, after the loop has forgotten the fd;
//  - the drain (bounded: RouteMonitor::kReadsPerDrain reads) and the callback run on the JS
//    thread, in the loop's poll phase, exactly when the socket is readable: no polling timer,
//    nothing blocks the loop, and no queue between threads that could grow or need a lock;
//  - the netlink socket belongs to the namespace of the thread that opened it either way.
// Teardown: close(); or, when the JS thread ends without close() (a worker terminated), an
// async environment cleanup hook (napi_add_async_cleanup_hook) closes the handle and signals
// completion from libuv's close callback. While open, the JS object is kept alive (like a Node
// socket) and the handle keeps the event loop alive.
#pragma once
#include <napi.h>

namespace xvs::binding {

class RouteMonitorHandle : public Napi::ObjectWrap<RouteMonitorHandle> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit RouteMonitorHandle(const Napi::CallbackInfo& info);
  ~RouteMonitorHandle() override;

  struct Watch;  // the poll handle, the socket and the callback; outlives this object until libuv lets go
  // Stops watching and lets go of the JS references now; the socket and the memory go once
  // libuv has let go of the handle. Idempotent. ending_environment: called by the cleanup hook.
  static void shut(Watch* w, bool ending_environment);

 private:
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value closed(const Napi::CallbackInfo& info);

  Watch* watch_ = nullptr;
};

}  // namespace xvs::binding
