# The testbed's PKI (sourced): one CA signs every serving and client certificate; the
# service-account token signer has its own key pair. Generated once, regenerated when the
# node name or host IP it was made for changes.

PKI_DAYS=3650

pki_key() { # file
  [[ -f "$1" ]] || openssl genrsa -out "$1" 2048 2>/dev/null
}

pki_cert() { # name, subject, extensions (openssl x509v3 config lines, newline separated)
  local name=$1 subject=$2 ext=$3
  [[ -f "$PKI/$name.crt" ]] && return 0
  pki_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$PKI_DAYS" -sha256 \
    -extfile <(printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n' "$ext") \
    -out "$PKI/$name.crt" 2>/dev/null || die pki "signing $name failed"
  rm -f "$PKI/$name.csr"
}

client_cert() { # name, CN, optional O
  pki_cert "$1" "${3:+/O=$3}/CN=$2" "extendedKeyUsage=clientAuth"
}

server_cert() { # name, CN, subjectAltName list
  pki_cert "$1" "/CN=$2" "extendedKeyUsage=serverAuth
subjectAltName=$3"
}

ensure_pki() { # host IP
  local ip=$1 params
  need pki openssl
  params="node=$NODE_NAME ip=$ip"
  if [[ -f "$PKI/params" && "$(<"$PKI/params")" != "$params" ]]; then
    say "pki: node name or host IP changed ($(<"$PKI/params") -> $params); regenerating"
    rm -rf "$PKI" "$KUBECONFIGS"
  fi
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [[ ! -f "$PKI/ca.crt" ]]; then
    pki_key "$PKI/ca.key"
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=vmtask-testbed-ca" -days "$PKI_DAYS" \
      -sha256 -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null || die pki "creating the CA failed"
  fi
  server_cert apiserver kube-apiserver "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$API_SERVICE_IP,IP:$ip"
  server_cert kubelet-serving "$NODE_NAME" "DNS:$NODE_NAME,DNS:localhost,IP:$ip,IP:127.0.0.1"
  client_cert admin admin system:masters
  client_cert controller-manager system:kube-controller-manager
  client_cert scheduler system:kube-scheduler
  client_cert kubelet "system:node:$NODE_NAME" system:nodes
  client_cert kube-proxy system:kube-proxy
  client_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  pki_key "$PKI/sa.key"
  [[ -f "$PKI/sa.pub" ]] || openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
  echo "$params" >"$PKI/params"
}

ensure_node_pki() { # host IP: a further node's kubelet certificates and kubeconfig
  server_cert "$KUBELET_SERVING" "$NODE_NAME" "DNS:$NODE_NAME,DNS:localhost,IP:$1,IP:127.0.0.1"
  client_cert "$KUBELET_CLIENT" "system:node:$NODE_NAME" system:nodes
  chmod 600 "$PKI"/*.key
  write_kubeconfig "$KUBELET_CLIENT" "https://127.0.0.1:$API_PORT"
}

write_kubeconfig() { # name (its client cert), server URL
  local name=$1 server=$2 file=$KUBECONFIGS/$1.kubeconfig
  [[ -f "$file" ]] && return 0
  mkdir -p "$KUBECONFIGS"
  chmod 700 "$KUBECONFIGS"
  (
    umask 077
    cat >"$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: vmtask-testbed
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$name.crt")
    client-key-data: $(base64 -w0 <"$PKI/$name.key")
contexts:
- name: vmtask-testbed
  context:
    cluster: vmtask-testbed
    user: $name
current-context: vmtask-testbed
KUBECONFIG
  )
}

ensure_kubeconfigs() {
  local server=https://127.0.0.1:$API_PORT n
  for n in admin controller-manager scheduler kubelet kube-proxy; do
    write_kubeconfig "$n" "$server"
  done
}
