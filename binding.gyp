# The Node addon: engine + AF_XDP libraries + N-API binding. Sources come from
# native/sources.json, the list native/CMakeLists.txt reads too.
{
  "targets": [
    {
      "target_name": "xvs",
      "sources": ["<!@(node scripts/native-sources.cjs engine afxdp dpdk_absent kernel binding bench)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-fexceptions", "-Wall", "-Wextra", "-O2"],
      "cflags": ["<!@(pkg-config --cflags libxdp libbpf)"],
      "libraries": ["<!@(pkg-config --libs libxdp libbpf)", "-lpthread"]
    }
  ]
}
