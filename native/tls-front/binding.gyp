{
  # Built against the headers of the Node running npm (node-gyp --nodedir): OpenSSL's headers ship
  # with them and the node binary exports OpenSSL's symbols, so the addon uses Node's own OpenSSL and
  # links against no libssl of the system.
  "targets": [
    {
      "target_name": "tls_front",
      "sources": ["src/tls_front.cc", "src/tls13_record.cc"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
