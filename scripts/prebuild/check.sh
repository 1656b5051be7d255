#!/usr/bin/env bash
# Checks a prebuilt addon: prints the highest GLIBC_ / GLIBCXX_ / CXXABI_ symbol versions it
# needs and fails above the floor it promises (glibc 2.34 and GCC 11's libstdc++: Amazon
# Linux 2023, RHEL 9, Ubuntu 22.04, Debian 12); fails when it needs a shared libcurl,
# libssl, libcrypto or libstdc++, or exports anything but the Node-API entry points.
set -euo pipefail
file=${1:?usage: check.sh path/to/addon.node}
max_glibc=${UPLIFT_MAX_GLIBC:-2.34}
max_glibcxx=${UPLIFT_MAX_GLIBCXX:-3.4.29}
fail=0

highest() { objdump -T "$file" | { grep -o "$1[0-9.]*" || true; } | sed "s/^$1//" | sort -uV | tail -1; }
above() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" != "$2" ]; }

glibc=$(highest GLIBC_)
glibcxx=$(highest GLIBCXX_)
cxxabi=$(highest CXXABI_)
echo "file:      $file ($(stat -c %s "$file") bytes)"
echo "GLIBC_:    ${glibc:-none} (max $max_glibc)"
echo "GLIBCXX_:  ${glibcxx:-none} (max $max_glibcxx)"
echo "CXXABI_:   ${cxxabi:-none}"
if above "$glibc" "$max_glibc"; then
  echo "FAIL: needs GLIBC_$glibc:"; objdump -T "$file" | grep "GLIBC_$glibc"; fail=1
fi
if above "$glibcxx" "$max_glibcxx"; then
  echo "FAIL: needs GLIBCXX_$glibcxx:"; objdump -T "$file" | grep "GLIBCXX_$glibcxx"; fail=1
fi

needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "NEEDED:    $needed"
if echo "$needed" | grep -Eq 'libcurl|libssl|libcrypto|libstdc\+\+'; then
  echo "FAIL: links a shared libcurl, libssl, libcrypto or libstdc++"; fail=1
fi
if ldd "$file" | grep -Eq 'libcurl|libssl|libcrypto'; then
  echo "FAIL: ldd names libcurl, libssl or libcrypto:"; ldd "$file"; fail=1
fi

exports=$(nm -D --defined-only "$file" | awk '{print $3}' | sort | tr '\n' ' ')
echo "exports:   $exports"
for s in $exports; do
  case "$s" in napi_register_module_v1|node_api_module_get_api_version_v1) ;; *)
    echo "FAIL: exports $s"; fail=1 ;; esac
done
undef_ssl=$(nm -D --undefined-only "$file" | awk '{print $2}' | grep -E '^(SSL_|EVP_|OPENSSL_|CRYPTO_|curl_)' || true)
if [ -n "$undef_ssl" ]; then
  echo "FAIL: OpenSSL/libcurl symbols resolved outside the addon: $(echo "$undef_ssl" | head -5 | tr '\n' ' ')"; fail=1
fi
[ "$fail" = 0 ] && echo "OK: floors and isolation hold"
exit "$fail"
