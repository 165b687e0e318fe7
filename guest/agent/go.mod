module vmtask.dev/guest-agent

go 1.22
