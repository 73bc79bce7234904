package main

import "syscall"

// childAttrs kills a child when the harness dies, however it dies: a
// crashed or interrupted run leaves no redis-server or pagerd behind.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
