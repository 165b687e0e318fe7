#!/bin/sh
# Prints what TestbedPodIT checks: who runs it, and the API server's /version as seen through
# the kubernetes service (kube-proxy) with the pod's service account.
set -e
echo "probe running in pod $(hostname)"
echo "api at ${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}"
sa=/var/run/secrets/kubernetes.io/serviceaccount
curl -sS --max-time 20 --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" \
  "https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}/version"
echo
echo "probe done"
