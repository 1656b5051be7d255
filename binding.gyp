{
  # The Node addon. Core sources come from src/core/sources.txt, the list CMake reads too.
  # Default: links the system libcurl (source installs). With UPLIFT_STATIC_DEPS=<prefix>
  # (scripts/prebuild/build.sh): links that prefix's static libcurl + OpenSSL and a static
  # libstdc++, with every symbol hidden but the Node-API entry points.
  "variables": {
    "uplift_static_deps%": "<!(node -p \"process.env.UPLIFT_STATIC_DEPS || ''\")"
  },
  "targets": [
    {
      "target_name": "uplift",
      "sources": [
        "<!@(node -e \"process.stdout.write(require('fs').readFileSync('src/core/sources.txt','utf8').trim().split(/\\s+/).join(' '))\")",
        "src/addon/addon.cc",
        "src/addon/control.cc",
        "src/addon/convert.cc",
        "src/addon/engine_wrap.cc",
        "src/addon/form.cc",
        "src/addon/job_bridge.cc",
        "src/addon/parts.cc",
        "src/addon/put.cc",
        "src/addon/run.cc",
        "src/addon/specs.cc",
        "src/addon/stream_wrap.cc",
        "src/addon/url.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "src/core"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        # A Napi::Error that cannot be thrown because the environment is going away (a
        # terminated Worker) is dropped instead of escaping as a C++ exception.
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "conditions": [
        ["uplift_static_deps==''", {
          "libraries": ["-lcurl"]
        }, {
          "include_dirs": ["<(uplift_static_deps)/include"],
          "defines": ["CURL_STATICLIB"],
          "cflags": ["-fvisibility=hidden", "-ffunction-sections", "-fdata-sections"],
          "libraries": [
            "<(uplift_static_deps)/lib/libcurl.a",
            "<(uplift_static_deps)/lib/libssl.a",
            "<(uplift_static_deps)/lib/libcrypto.a",
            "-lpthread", "-ldl"
          ],
          "ldflags": [
            "-static-libstdc++",
            "-shared-libgcc",
            "-Wl,--exclude-libs,ALL",
            "-Wl,--gc-sections",
            "-Wl,--version-script=<(module_root_dir)/scripts/prebuild/exports.map",
            "-Wl,-z,noexecstack"
          ]
        }]
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
