// native/binding/route_monitor_js.cc — see route_monitor_js.h. Everything here runs on the JS
// thread that created the monitor: its constructor and close(), the libuv poll and close
// callbacks of that thread's loop, and the environment cleanup hook.
#include "binding/route_monitor_js.h"

#include <uv.h>

#include <memory>
#include <string>

#include "binding/errors.h"
#include "core/ipv4_text.h"
#include "core/ipv6_text.h"
#include "kernel/route_monitor.h"

namespace xvs::binding {

struct RouteMonitorHandle::Watch {
  uv_poll_t poll{};
  kernel::RouteMonitor monitor;
  kernel::RouteChanges changes;
  napi_env env = nullptr;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> async;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  RouteMonitorHandle* owner = nullptr;
  bool closing = false;
  bool ending_environment = false;  // closed by the cleanup hook: signal it when libuv is done
};

namespace {

using Watch = RouteMonitorHandle::Watch;

Napi::Object to_js(Napi::Env env, const kernel::RouteChanges& c, const std::string& error) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Array neighbours = Napi::Array::New(env, c.neighbours.size());
  for (uint32_t i = 0; i < c.neighbours.size(); ++i) {
    const kernel::NeighbourChange& n = c.neighbours[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", n.ipv6 ? core::ipv6_text(n.address6) : core::ipv4_text(n.address));
    o.Set("ifindex", n.ifindex);
    o.Set("state", n.state);
    o.Set("mac", n.has_mac ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, n.mac, 6)) : env.Null());
    o.Set("deleted", n.deleted);
    neighbours.Set(i, o);
  }
  out.Set("neighbours", neighbours);
  out.Set("routes", c.routes);
  out.Set("links", c.links);
  out.Set("addresses", c.addresses);
  out.Set("overflow", c.overflow);
  if (!error.empty()) out.Set("error", error);
  return out;
}

void on_closed(uv_handle_t* handle) {
  auto* w = static_cast<Watch*>(handle->data);
  w->monitor.close();  // libuv no longer watches the fd: now it may go
  if (w->ending_environment) napi_remove_async_cleanup_hook(w->cleanup);
  delete w;
}

void on_environment_end(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* w = static_cast<Watch*>(arg);
  w->cleanup = handle;
  RouteMonitorHandle::shut(w, true);
}

void on_readable(uv_poll_t* poll, int status, int /*events*/) {
  auto* w = static_cast<Watch*>(poll->data);
  if (w->closing) return;
  std::string error;
  bool stop = false;
  if (status < 0) {
    w->changes.clear();
    w->changes.overflow = true;
    error = std::string("route monitor: poll: ") + uv_strerror(status);
    stop = true;
  } else {
    error = w->monitor.drain(w->changes);
    stop = !error.empty();  // a socket that fails once would fail on every wake-up: no spinning
  }
  if (stop) uv_poll_stop(&w->poll);
  if (w->changes.empty() && error.empty()) return;

  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::Object report = to_js(env, w->changes, error);
  napi_value self = w->owner ? napi_value(w->owner->Value()) : napi_value(env.Undefined());
  try {
    // MakeCallback: the callback runs as a top-level task (microtasks afterwards, async hooks).
    w->callback.MakeCallback(self, {report}, *w->async);
  } catch (const Napi::Error& e) {
    // The callback threw: that is an uncaught exception of this thread, as for any event.
    napi_fatal_exception(w->env, e.Value());
  }
}

}  // namespace

void RouteMonitorHandle::shut(Watch* w, bool ending_environment) {
  if (w->closing) return;
  w->closing = true;
  if (w->owner) {
    w->owner->watch_ = nullptr;
    if (!ending_environment) w->owner->Unref();
    w->owner = nullptr;
  }
  w->callback.Reset();
  w->async.reset();
  w->ending_environment = ending_environment;
  if (!ending_environment && w->cleanup) {
    napi_remove_async_cleanup_hook(w->cleanup);
    w->cleanup = nullptr;
  }
  uv_poll_stop(&w->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), on_closed);
}

Napi::Function RouteMonitorHandle::define(Napi::Env env) {
  return DefineClass(env, "RouteMonitor",
                     {
                         InstanceMethod("close", &RouteMonitorHandle::close),
                         InstanceAccessor("closed", &RouteMonitorHandle::closed, nullptr),
                     });
}

RouteMonitorHandle::RouteMonitorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteMonitorHandle>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    throw_invalid(env, "new RouteMonitor(onChanges): onChanges must be a function");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    throw_if_error(env, control::Status::error(control::kErrSystem, "route monitor: this thread has no event loop"));

  auto w = std::make_unique<Watch>();
  const std::string err = w->monitor.open();
  if (!err.empty()) throw_if_error(env, control::Status::error(control::kErrSystem, err));
  if (int rc = uv_poll_init(loop, &w->poll, w->monitor.fd()); rc != 0)
    throw_if_error(env, control::Status::error(control::kErrSystem, std::string("route monitor: uv_poll_init: ") + uv_strerror(rc)));
  w->poll.data = w.get();
  if (int rc = uv_poll_start(&w->poll, UV_READABLE, on_readable); rc != 0) {
    Watch* initialised = w.release();
    initialised->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&initialised->poll), on_closed);
    throw_if_error(env, control::Status::error(control::kErrSystem, std::string("route monitor: uv_poll_start: ") + uv_strerror(rc)));
  }
  w->env = env;
  w->callback = Napi::Persistent(info[0].As<Napi::Function>());
  w->async = std::make_unique<Napi::AsyncContext>(env, "xvs:RouteMonitor");
  if (napi_add_async_cleanup_hook(env, on_environment_end, w.get(), &w->cleanup) != napi_ok) {
    Watch* started = w.release();
    shut(started, false);
    throw_if_error(env, control::Status::error(control::kErrSystem, "route monitor: cannot register an environment cleanup hook"));
  }
  w->owner = this;
  watch_ = w.release();
  Ref();  // an open monitor stays alive without a JS reference, as a socket does
}

RouteMonitorHandle::~RouteMonitorHandle() {
  // Collected while open cannot happen (Ref() above); the environment ending already shut it.
  if (!watch_) return;
  watch_->owner = nullptr;  // being destroyed: nothing to unreference
  shut(watch_, false);
}

Napi::Value RouteMonitorHandle::close(const Napi::CallbackInfo& info) {
  if (watch_) shut(watch_, false);
  return info.Env().Undefined();
}

Napi::Value RouteMonitorHandle::closed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), watch_ == nullptr);
}

}  // namespace xvs::binding
