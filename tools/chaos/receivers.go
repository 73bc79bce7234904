package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/pagerd/pagerd/internal/twiliofake"
	"github.com/pagerd/pagerd/pagers/webhook"
)

// receipt is one page a receiver took: what pagerd sent, as the person or
// the endpoint got it.
type receipt struct {
	Channel  string    `json:"channel"` // webhook, sms, email
	Match    string    `json:"-"`       // ties it to a planned delivery (see planned.Match)
	ID       string    `json:"id"`      // the provider's id, as pagerd writes it on the timeline
	Incident int64     `json:"incident"`
	At       time.Time `json:"at"` // when the receiver took it, on this host's clock
}

// recorder collects the pages every receiver took. Notices (acknowledged)
// are counted apart: they are not pages.
type recorder struct {
	mu            sync.Mutex
	pages         []receipt
	byMatch       map[string][]int
	notices       int
	badSignatures int
	unreadable    []string

	pollMu    sync.Mutex // one poll at a time: the harness polls too, before it counts
	fake      *twiliofake.Fake
	smsSeen   int
	maildir   string
	mailsSeen map[string]bool
}

func newRecorder(fake *twiliofake.Fake, maildir string) *recorder {
	return &recorder{byMatch: map[string][]int{}, fake: fake, maildir: maildir, mailsSeen: map[string]bool{}}
}

func (r *recorder) add(rc receipt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byMatch[rc.Match] = append(r.byMatch[rc.Match], len(r.pages))
	r.pages = append(r.pages, rc)
}

// received returns the pages taken for a match, in the order taken.
func (r *recorder) received(match string) []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []receipt
	for _, i := range r.byMatch[match] {
		out = append(out, r.pages[i])
	}
	return out
}

func (r *recorder) all() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receipt(nil), r.pages...)
}

// run polls the receivers that are not called back (the Twilio fake's
// messages, the SMTP server's Maildir) until ctx ends.
func (r *recorder) run(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		r.poll()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// smsPage reads a page's text: "[pagerd] #42 ... Reply 'ack 42' to
// acknowledge ...". Notices ("[pagerd] #42 ACKNOWLEDGED by ...") carry
// no ack hint.
var smsIncident = regexp.MustCompile(`^\[pagerd\] #(\d+) `)

func (r *recorder) poll() {
	r.pollMu.Lock()
	defer r.pollMu.Unlock()
	msgs := r.fake.Messages()
	fresh := msgs[min(r.smsSeen, len(msgs)):]
	r.smsSeen = len(msgs)
	for _, m := range fresh {
		sub := smsIncident.FindStringSubmatch(m.Body)
		if sub == nil {
			r.unreadableOne("sms " + m.SID + ": " + m.Body)
			continue
		}
		id, _ := strconv.ParseInt(sub[1], 10, 64)
		if !strings.Contains(m.Body, "Reply 'ack "+sub[1]+"'") {
			r.notice()
			continue
		}
		r.add(receipt{Channel: "sms", Match: smsMatch(id, m.To), ID: m.SID, Incident: id, At: m.Received})
	}
	r.pollMaildir()
}

func smsMatch(incident int64, phone string) string { return fmt.Sprintf("sms:%d:%s", incident, phone) }

func (r *recorder) notice() {
	r.mu.Lock()
	r.notices++
	r.mu.Unlock()
}

func (r *recorder) unreadableOne(what string) {
	r.mu.Lock()
	r.unreadable = append(r.unreadable, what)
	r.mu.Unlock()
}

// pollMaildir reads the messages aiosmtpd stored since the last look. A
// message's time is its file's: aiosmtpd writes it when the DATA ends.
func (r *recorder) pollMaildir() {
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(r.maildir, sub)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			if r.mailsSeen[e.Name()] {
				continue
			}
			r.mailsSeen[e.Name()] = true
			info, err := e.Info()
			if err != nil {
				continue
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				r.unreadableOne("mail " + path + ": " + err.Error())
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				r.unreadableOne("mail " + path + ": " + err.Error())
				continue
			}
			h := msg.Header
			if h.Get("X-Pagerd-Kind") != "page" {
				r.notice()
				continue
			}
			id, _ := strconv.ParseInt(h.Get("X-Pagerd-Incident"), 10, 64)
			r.add(receipt{Channel: "email", Match: h.Get("X-Pagerd-Key"), ID: strings.Trim(h.Get("Message-Id"), "<>"),
				Incident: id, At: info.ModTime()})
		}
	}
}

// hookReceiver is the endpoint of webhook "pager". It takes every
// delivery (answering 200), checks its signature, and records pages. It
// can catch the next page in flight: hold its answer while the harness
// finds and signals the replica sending it.
type hookReceiver struct {
	rec    *recorder
	verify *standardwebhooks.Webhook
	srv    *http.Server
	port   int

	mu    sync.Mutex
	armed chan caught
}

// caught is a page held in flight.
type caught struct {
	remote  string        // the sender's address, as the receiver sees it
	id      string        // its webhook-id
	release chan struct{} // closed to let the receiver answer
}

func startHookReceiver(rec *recorder, secret string) (*hookReceiver, error) {
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookReceiver{rec: rec, verify: wh, port: l.Addr().(*net.TCPAddr).Port}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

func (h *hookReceiver) URL() string { return "http://" + addr(h.port) + "/hook" }

func (h *hookReceiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the sender went away mid-request: nothing was delivered
	}
	if err := h.verify.Verify(body, r.Header); err != nil {
		h.rec.mu.Lock()
		h.rec.badSignatures++
		h.rec.mu.Unlock()
	}
	var doc webhook.Document
	if err := json.Unmarshal(body, &doc); err != nil || doc.Incident == nil {
		h.rec.unreadableOne("webhook: " + string(body))
		w.WriteHeader(http.StatusOK)
		return
	}
	if doc.Type != webhook.TypePage {
		h.rec.notice()
		w.WriteHeader(http.StatusOK)
		return
	}
	id := r.Header.Get(webhook.HeaderID)
	h.rec.add(receipt{Channel: "webhook", Match: id, ID: id, Incident: doc.Incident.ID, At: at})

	h.mu.Lock()
	armed := h.armed
	h.armed = nil
	h.mu.Unlock()
	if armed != nil {
		release := make(chan struct{})
		armed <- caught{remote: r.RemoteAddr, id: id, release: release}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}
	w.WriteHeader(http.StatusOK)
}

// catch holds the next page that arrives within timeout and returns it;
// ok is false when none came. The caller must close its release.
func (h *hookReceiver) catch(ctx context.Context, timeout time.Duration) (c caught, ok bool) {
	ch := make(chan caught, 1)
	h.mu.Lock()
	h.armed = ch
	h.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c = <-ch:
		return c, true
	case <-ctx.Done():
	case <-t.C:
	}
	h.mu.Lock()
	if h.armed == ch {
		h.armed = nil
	}
	h.mu.Unlock()
	select {
	case c := <-ch: // caught just as the wait ended: let it go
		close(c.release)
	default:
	}
	return caught{}, false
}

// senderPID finds which of pids owns the client end of a TCP connection
// to the receiver, from the receiver's view of it (the sender's
// host:port): /proc/net/tcp names the socket's inode, /proc/PID/fd the
// process holding it. Linux only; elsewhere it fails and the harness
// picks a replica at random.
func senderPID(remote string, listenPort int, pids []int) (int, error) {
	_, rport, err := net.SplitHostPort(remote)
	if err != nil {
		return 0, err
	}
	sport, _ := strconv.Atoi(rport)
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || portOf(fields[1]) != sport || portOf(fields[2]) != listenPort {
				continue
			}
			inode = fields[9]
		}
		f.Close()
	}
	if inode == "" {
		return 0, fmt.Errorf("no socket from port %d to %d in /proc/net/tcp", sport, listenPort)
	}
	want := "socket:[" + inode + "]"
	for _, pid := range pids {
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); link == want {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no replica holds socket %s", inode)
}

// portOf reads the port of a /proc/net/tcp address, "0100007F:1F90".
func portOf(hexAddr string) int {
	_, p, ok := strings.Cut(hexAddr, ":")
	if !ok {
		return -1
	}
	b, err := hex.DecodeString(p)
	if err != nil || len(b) != 2 {
		return -1
	}
	return int(b[0])<<8 | int(b[1])
}

// smtpServer is aiosmtpd storing every message in a Maildir, run as the
// test suite runs it (internal/testenv/smtp.go).
type smtpServer struct {
	*proc
	port    int
	maildir string
}

const smtpPython = "/usr/bin/python3"

func startSMTP(ctx context.Context, dir string) (*smtpServer, error) {
	if out, err := exec.Command(smtpPython, "-c", "import aiosmtpd").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s cannot import aiosmtpd (%v: %s): run `apt-get install -y python3-aiosmtpd`", smtpPython, err, bytes.TrimSpace(out))
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	s := &smtpServer{port: ports[0], maildir: filepath.Join(dir, "maildir")}
	s.proc = &proc{name: "aiosmtpd", bin: smtpPython,
		// -d logs "Server is listening on" once the port is bound: a
		// greeting alone may come from a test's server holding the port.
		args: []string{"-m", "aiosmtpd", "-n", "-d", "-l", addr(s.port), "-c", "aiosmtpd.handlers.Mailbox", s.maildir},
		env:  append(os.Environ(), "PYTHONUNBUFFERED=1"),
		log:  filepath.Join(dir, "aiosmtpd.log")}
	if err := s.start(); err != nil {
		return nil, err
	}
	err = waitUntil(ctx, 20*time.Second, 20*time.Millisecond, func() error {
		conn, err := net.DialTimeout("tcp", addr(s.port), time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "220") {
			return fmt.Errorf("greeting %q", line)
		}
		_, _ = io.WriteString(conn, "QUIT\r\n")
		if log, _ := os.ReadFile(s.log); !bytes.Contains(log, []byte("Server is listening on "+addr(s.port))) {
			return errors.New("its log does not say it is listening yet")
		}
		return nil
	})
	if err != nil {
		s.stop(5 * time.Second)
		return nil, fmt.Errorf("aiosmtpd on %s: %w\n%s", addr(s.port), err, s.tail(20))
	}
	return s, nil
}
