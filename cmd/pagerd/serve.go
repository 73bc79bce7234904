package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pagerd/pagerd/internal/app"
	"github.com/pagerd/pagerd/policies"
)

var errCheckFailed = errors.New("config check failed")

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configDir := configFlag(fs)
	listen := fs.String("listen", envOr("PAGERD_LISTEN", ":8080"), "HTTP listen address")
	redisURL := fs.String("redis", os.Getenv("PAGERD_REDIS_URL"), "Redis URL (env PAGERD_REDIS_URL); empty: embedded in-process Redis, state lost on restart")
	namespace := fs.String("namespace", envOr("PAGERD_NAMESPACE", "pagerd"), "Redis key namespace; replicas sharing one must use the same")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	poll := fs.Duration("poll", time.Second, "how often to look for due escalation steps")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(stderr, hopts)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(handler)
	redis.SetLogger(app.RedisLogger{Log: log.With("component", "redis")})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, app.Options{
		ConfigDir: *configDir, Listen: *listen, RedisURL: *redisURL, Namespace: *namespace,
		Log: log, Console: stdout, Poll: *poll,
	})
	if err != nil {
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			_ = a.Reload()
		}
	}()
	return a.Run(ctx)
}

func check(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := envOr("PAGERD_CONFIG", "deploy/examples/config")
	switch fs.NArg() {
	case 0:
	case 1:
		dir = fs.Arg(0)
	default:
		return fmt.Errorf("%w: check takes one directory", errUsage)
	}
	if !policies.Check(dir, stdout) {
		return errCheckFailed
	}
	return nil
}
