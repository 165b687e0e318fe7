# etcd, kube-apiserver, kube-controller-manager and kube-scheduler (sourced).

api_get() { # path: GET on the API server as admin
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$API_PORT$1"
}

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=10s "$@"; }

start_etcd() {
  running etcd && return 0
  check_ports_free etcd 2379 2380
  # A fresh store on every start of the control plane: tests get an empty cluster, and a crash
  # leaves nothing to repair. Kept when only etcd died under a running API server.
  running kube-apiserver || rm -rf "$STATE/etcd"
  start_daemon etcd "$BIN/etcd" --name testbed --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster testbed=http://127.0.0.1:2380 --unsafe-no-fsync --logger zap
}

wait_etcd() { wait_healthy etcd 60 sh -c 'curl -fsS --max-time 2 http://127.0.0.1:2379/health | grep -q "\"health\":\"true\""'; }

start_apiserver() {
  local ip=$1
  running kube-apiserver && return 0
  check_ports_free kube-apiserver "$API_PORT"
  start_daemon kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="$ip" --secure-port="$API_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --anonymous-auth=false \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
    --profiling=false --v=1
}

# The liveness endpoints of kube-controller-manager and kube-scheduler are on their secure
# ports; /healthz is always allowed there, so no client certificate is needed.
healthz() { curl -fsSk --max-time 2 "https://127.0.0.1:$1/healthz"; }

start_controller_manager() {
  running kube-controller-manager && return 0
  check_ports_free kube-controller-manager 10257
  local kc=$KUBECONFIGS/controller-manager.kubeconfig
  start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$CLUSTER_POD_CIDR" \
    --leader-elect=false --bind-address=127.0.0.1 --profiling=false --v=1
}

start_scheduler() {
  running kube-scheduler && return 0
  check_ports_free kube-scheduler 10259
  local kc=$KUBECONFIGS/scheduler.kubeconfig
  start_daemon kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --leader-elect=false --bind-address=127.0.0.1 --profiling=false --v=1
}

default_service_account_exists() { api_get /api/v1/namespaces/default/serviceaccounts/default; }

control_plane_up() {
  local ip=$1
  ensure_pki "$ip"
  ensure_kubeconfigs
  start_etcd
  wait_etcd
  start_apiserver "$ip"
  wait_healthy kube-apiserver 120 api_get /readyz
  start_controller_manager
  start_scheduler
  wait_healthy kube-controller-manager 60 healthz 10257
  wait_healthy kube-scheduler 60 healthz 10259
  wait_healthy kube-controller-manager 60 default_service_account_exists
}
