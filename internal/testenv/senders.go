package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real alert senders, from Debian's packages. Tests start them on free
// loopback ports with the helpers below; a missing binary fails the test
// with the command that installs it.
const (
	AlertmanagerBinary = "/usr/bin/prometheus-alertmanager" // package prometheus-alertmanager
	PrometheusBinary   = "/usr/bin/prometheus"              // package prometheus
)

// PrometheusRulesFile is the name StartPrometheus writes its rulesYAML
// under, next to the config file; the config lists it in rule_files
// (Prometheus resolves that relative to the config's directory).
const PrometheusRulesFile = "rules.yml"

// senderReadyTimeout bounds how long a sender may take to answer /-/ready:
// Prometheus opens its TSDB and replays the (empty) WAL first, which a
// loaded CI machine can make slow.
const senderReadyTimeout = 30 * time.Second

// Alertmanager is one prometheus-alertmanager process owned by a test, with
// clustering off and its state in a temporary directory.
type Alertmanager struct {
	*daemon
}

// Prometheus is one prometheus server process owned by a test, with its
// TSDB in a temporary directory.
type Prometheus struct {
	*daemon
}

// daemon is a sender process listening on one loopback HTTP port.
type daemon struct {
	Port int
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port, no trailing slash
	Dir  string // config, data and log live here

	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	stop    sync.Once
}

// Log is everything the process has written to stdout and stderr so far.
func (d *daemon) Log() string {
	b, _ := os.ReadFile(d.logPath)
	return string(b)
}

// PID is the process's id, for tools that read what it uses (/proc).
func (d *daemon) PID() int { return d.cmd.Process.Pid }

// Stop kills the process and waits for it; cleanup calls it too.
func (d *daemon) Stop() {
	d.stop.Do(func() {
		if d.cmd.Process != nil {
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	})
}

// StartAlertmanager starts prometheus-alertmanager with configYAML (an
// alertmanager.yml) on a free loopback port, clustering disabled, waits
// until /-/ready answers 200, and kills it when the test ends. Its log is
// printed if the test failed.
func StartAlertmanager(t testing.TB, configYAML string) *Alertmanager {
	t.Helper()
	return StartAlertmanagerLogging(t, configYAML, "debug") // shows each notification attempt
}

// StartAlertmanagerLogging is StartAlertmanager with Alertmanager's
// --log.level: benchmarks run it at "info", its default, since at "debug"
// it logs every alert it receives and would be measured slower than it
// runs in production.
func StartAlertmanagerLogging(t testing.TB, configYAML, logLevel string) *Alertmanager {
	t.Helper()
	if _, err := os.Stat(AlertmanagerBinary); err != nil {
		t.Fatalf("testenv: %s not found (%v): run `apt-get install -y prometheus-alertmanager` (scripts/test.sh does when root)", AlertmanagerBinary, err)
	}
	dir := t.TempDir()
	configPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(configPath, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "alertmanager", dir, func(addr, storage string) []string {
		return []string{AlertmanagerBinary,
			"--config.file=" + configPath,
			"--storage.path=" + storage,
			"--web.listen-address=" + addr,
			"--web.external-url=http://" + addr,
			"--cluster.listen-address=", // empty: no HA mode, no gossip port
			"--log.level=" + logLevel,
		}
	})
	return &Alertmanager{d}
}

// StartPrometheus starts prometheus with configYAML (a prometheus.yml) and,
// when rulesYAML is not empty, a rules file named PrometheusRulesFile next to
// it, on a free loopback port with a temporary TSDB. It waits until /-/ready
// answers 200 and kills the server when the test ends. Its log is printed
// if the test failed.
//
// Prometheus re-sends a firing alert no more often than
// --rules.alert.resend-delay, 1m by default; StartPrometheus sets it to
// 500ms so a test sees a re-send at every evaluation (a delay equal to the
// evaluation interval would re-send every other one).
func StartPrometheus(t testing.TB, configYAML, rulesYAML string) *Prometheus {
	t.Helper()
	if _, err := os.Stat(PrometheusBinary); err != nil {
		t.Fatalf("testenv: %s not found (%v): run `apt-get install -y prometheus` (scripts/test.sh does when root)", PrometheusBinary, err)
	}
	if rulesYAML != "" && !strings.Contains(configYAML, PrometheusRulesFile) {
		t.Fatalf("testenv: StartPrometheus got rules but the config does not list %q in rule_files", PrometheusRulesFile)
	}
	dir := t.TempDir()
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if rulesYAML != "" {
		if err := os.WriteFile(filepath.Join(dir, PrometheusRulesFile), []byte(rulesYAML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := startDaemon(t, "prometheus", dir, func(addr, storage string) []string {
		return []string{PrometheusBinary,
			"--config.file=" + configPath,
			"--storage.tsdb.path=" + storage,
			"--web.listen-address=" + addr,
			"--web.external-url=http://" + addr,
			"--rules.alert.resend-delay=500ms",
		}
	})
	return &Prometheus{d}
}

// startDaemon runs the command args(addr, storage) builds until it answers
// /-/ready on addr. A port taken between FreePort and the daemon's bind
// makes it exit early; another port fixes that. Any other failure is not
// retried.
func startDaemon(t testing.TB, name, dir string, args func(addr, storage string) []string) *daemon {
	t.Helper()
	var errs []error
	for try := range portTries {
		d, err := tryDaemon(name, dir, try, FreePort(t), args)
		if err != nil && !errors.Is(err, errPortTaken) {
			t.Fatalf("testenv: %v", err)
		}
		if err == nil {
			t.Cleanup(func() {
				d.Stop()
				if t.Failed() {
					t.Logf("testenv: %s log (%s):\n%s", name, d.logPath, d.Log())
				}
			})
			return d
		}
		errs = append(errs, err)
	}
	t.Fatalf("testenv: %v", errors.Join(errs...))
	return nil
}

var errNotReady = errors.New("not ready")

func tryDaemon(name, dir string, try, port int, args func(addr, storage string) []string) (*daemon, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	d := &daemon{
		Port:    port,
		Addr:    addr,
		URL:     "http://" + addr,
		Dir:     dir,
		name:    name,
		exited:  make(chan struct{}),
		logPath: filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, try)),
	}
	storage := filepath.Join(dir, fmt.Sprintf("data-%d", try))
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(d.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	argv := args(addr, storage)
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Dir = dir
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(senderReadyTimeout)
	// Both log this once they hold the port; without it, a ready answer
	// could come from whoever took the port before this process.
	listening := `msg="Listening on" address=` + addr
	for {
		err := ready(client, d.URL+"/-/ready")
		if err == nil && !strings.Contains(d.Log(), listening) {
			err = fmt.Errorf("its log does not say %s yet", listening)
		}
		if err == nil {
			return d, nil
		}
		select {
		case <-d.exited:
			log := d.Log()
			err := fmt.Errorf("%s on %s exited before it was ready (%s):\n%s", name, addr, strings.Join(argv, " "), log)
			if strings.Contains(log, "address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return nil, err
		default:
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("%w: %s on %s, within %s: %v\n%s", errNotReady, name, addr, senderReadyTimeout, err, d.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ready(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
