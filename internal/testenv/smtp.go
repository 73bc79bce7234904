package testenv

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPPython is the interpreter that runs the SMTP server: Debian's, where
// the python3-aiosmtpd package installs the module (a pyenv or venv python
// earlier on PATH usually lacks it).
const SMTPPython = "/usr/bin/python3"

const smtpInstallHint = "run `apt-get install -y python3-aiosmtpd`"

// SMTPServer is a real SMTP server (aiosmtpd) owned by a test, storing every
// message it accepts in a Maildir.
type SMTPServer struct {
	Host    string // 127.0.0.1
	Port    int
	Addr    string // host:port
	Maildir string

	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	stop    sync.Once
}

// SMTPMessage is one message the server accepted, parsed.
type SMTPMessage struct {
	From    string   // address of the From header
	To      []string // addresses of the To header
	Subject string   // decoded
	Text    string   // the text/plain part, decoded
	HTML    string   // the text/html part, decoded
	Headers mail.Header
	// EnvelopeFrom and EnvelopeTo are the SMTP MAIL FROM and RCPT TO.
	EnvelopeFrom string
	EnvelopeTo   []string
	Raw          []byte
}

// SMTPOption changes how StartSMTP runs the server.
type SMTPOption func(*smtpOptions)

type smtpOptions struct{ maxSize int }

// SMTPMaxSize makes the server refuse, with a permanent 552, any message
// larger than n bytes: the way to test a permanent rejection.
func SMTPMaxSize(n int) SMTPOption { return func(o *smtpOptions) { o.maxSize = n } }

var smtpCheck = sync.OnceValue(func() error {
	if _, err := os.Stat(SMTPPython); err != nil {
		return fmt.Errorf("%s not found (%v): %s", SMTPPython, err, smtpInstallHint)
	}
	out, err := exec.Command(SMTPPython, "-c", "import aiosmtpd").CombinedOutput()
	if err != nil {
		return fmt.Errorf("python module aiosmtpd missing (%v: %s): %s", err, bytes.TrimSpace(out), smtpInstallHint)
	}
	return nil
})

// StartSMTP starts `python3 -m aiosmtpd` with the Maildir handler on a free
// loopback port, waits until it greets, and kills it when the test ends. It
// speaks plain SMTP (no STARTTLS, no AUTH): clients need NoTLS or
// opportunistic TLS. A missing python3-aiosmtpd fails the test.
func StartSMTP(t testing.TB, opts ...SMTPOption) *SMTPServer {
	t.Helper()
	if err := smtpCheck(); err != nil {
		t.Fatalf("testenv: cannot start the SMTP server: %v", err)
	}
	var o smtpOptions
	for _, opt := range opts {
		opt(&o)
	}
	dir := t.TempDir()
	var lastErr error
	for try := range portTries {
		s, err := startSMTP(t, dir, try, o)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("testenv: %v", lastErr)
	return nil
}

func startSMTP(t testing.TB, dir string, try int, o smtpOptions) (*SMTPServer, error) {
	port := FreePort(t)
	s := &SMTPServer{
		Host:    "127.0.0.1",
		Port:    port,
		Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Maildir: filepath.Join(dir, "maildir"),
		exited:  make(chan struct{}),
		logPath: filepath.Join(dir, fmt.Sprintf("aiosmtpd-%d.log", try)),
	}
	// -d logs "Server is listening on" once the port is bound.
	args := []string{"-m", "aiosmtpd", "-n", "-d", "-l", s.Addr, "-c", "aiosmtpd.handlers.Mailbox"}
	if o.maxSize > 0 {
		args = append(args, "-s", strconv.Itoa(o.maxSize))
	}
	args = append(args, s.Maildir)
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	s.cmd = exec.Command(SMTPPython, args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aiosmtpd: %w", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()

	deadline := time.Now().Add(10 * time.Second)
	// Without the log line, a greeting could come from another test's
	// server that holds the port this one failed to bind.
	listening := "Server is listening on " + s.Addr
	for {
		err := smtpGreets(s.Addr)
		if err == nil && !strings.Contains(s.log(), listening) {
			err = fmt.Errorf("its log does not say %q yet", listening)
		}
		if err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("aiosmtpd on %s exited before accepting connections:\n%s", s.Addr, s.log())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("aiosmtpd on %s did not greet within 10s: %v\n%s", s.Addr, err, s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// smtpGreets connects and reads the 220 greeting, then says QUIT.
func smtpGreets(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
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
		return fmt.Errorf("unexpected greeting %q", line)
	}
	_, _ = io.WriteString(conn, "QUIT\r\n")
	return nil
}

func (s *SMTPServer) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// Stop kills the server; a test of an unreachable server can call it early.
func (s *SMTPServer) Stop() {
	s.stop.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// Messages parses every message in the Maildir, oldest first.
func (s *SMTPServer) Messages() ([]SMTPMessage, error) {
	type file struct {
		path string
		mod  time.Time
	}
	var files []file
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(s.Maildir, sub))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			files = append(files, file{filepath.Join(s.Maildir, sub, e.Name()), info.ModTime()})
		}
	}
	slices.SortFunc(files, func(a, b file) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	msgs := make([]SMTPMessage, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		m, err := ParseSMTPMessage(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// WaitMessages waits until the server holds at least n messages and returns
// them; it fails the test after timeout.
func (s *SMTPServer) WaitMessages(t testing.TB, n int, timeout time.Duration) []SMTPMessage {
	t.Helper()
	return s.WaitMatching(t, n, timeout, nil, func(*SMTPMessage) bool { return true })
}

// WaitMatching waits until at least n of the messages the server holds
// match, and returns those, in the order they came. before, when not nil,
// runs before each look (a test that must make the sender deliver what is
// due). Mail goes through a real SMTP server in another process, so its
// arrival is awaited, not assumed; it fails the test after timeout.
func (s *SMTPServer) WaitMatching(t testing.TB, n int, timeout time.Duration, before func(), match func(*SMTPMessage) bool) []SMTPMessage {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if before != nil {
			before()
		}
		msgs, err := s.Messages()
		if err != nil {
			t.Fatalf("testenv: read maildir: %v", err)
		}
		var got []SMTPMessage
		for i := range msgs {
			if match(&msgs[i]) {
				got = append(got, msgs[i])
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: SMTP server got %d matching messages within %v, want %d\nserver log:\n%s", len(got), timeout, n, s.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ParseSMTPMessage parses one RFC 5322 message: headers, addresses, and the
// text and HTML bodies of a single-part or (nested) multipart message.
func ParseSMTPMessage(raw []byte) (SMTPMessage, error) {
	mm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return SMTPMessage{}, err
	}
	m := SMTPMessage{Headers: mm.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(mm.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	if from, err := mail.ParseAddress(mm.Header.Get("From")); err == nil {
		m.From = from.Address
	} else if mm.Header.Get("From") != "" {
		return m, fmt.Errorf("from: %w", err)
	}
	if h := mm.Header.Get("To"); h != "" {
		to, err := mail.ParseAddressList(h)
		if err != nil {
			return m, fmt.Errorf("to: %w", err)
		}
		for _, a := range to {
			m.To = append(m.To, a.Address)
		}
	}
	m.EnvelopeFrom = mm.Header.Get("X-MailFrom")
	for _, r := range strings.Split(mm.Header.Get("X-RcptTo"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			m.EnvelopeTo = append(m.EnvelopeTo, r)
		}
	}
	err = m.readPart(mm.Header.Get("Content-Type"), mm.Header.Get("Content-Transfer-Encoding"), mm.Body)
	return m, err
}

func (m *SMTPMessage) readPart(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	switch mediaType {
	case "text/plain":
		if m.Text == "" {
			m.Text = string(b)
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = string(b)
		}
	}
	return nil
}
