#!/bin/sh
exec java ${VMTASK_CLI_JAVA_OPTS:--XX:TieredStopAtLevel=1 -Xshare:auto} -jar "$0" "$@"
