// Command moorage-lb is the load balancer in front of a cluster's API servers: one
// published port that survives losing a master.
//
// It forwards each TCP connection, TLS untouched, to one of the backends the driver
// writes into a file (one host:port a line, re-read every interval, so that a master
// replaced at another address is picked up without restarting the balancer and
// dropping the connections it carries). A backend takes new connections while its
// HTTPS health path answers 200 (the API server's /readyz, which Kubernetes lets
// anonymous callers read); with no healthy backend every one is tried, so that a
// control plane that is still starting is reachable at all. A connection that cannot
// be made to one backend is tried on the next.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

var (
	listen    = flag.String("listen", ":6443", "where clients connect")
	backends  = flag.String("backends", "/etc/moorage/balancer/backends", "file of backends, one host:port a line")
	checkPath = flag.String("check-path", "/readyz", "HTTPS path a healthy backend answers with 200")
	interval  = flag.Duration("interval", time.Second, "how often the file is read and backends checked")
	dialWait  = flag.Duration("dial-timeout", time.Second, "how long a connection to one backend may take")
)

// pool holds the backends and which of them passed their last check.
type pool struct {
	mu      sync.Mutex
	all     []string
	healthy map[string]bool
	next    int
}

// candidates are the backends to try for a new connection, healthy ones first, in
// round-robin order so that connections spread over the masters.
func (p *pool) candidates() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.all)
	var up, down []string
	for i := 0; i < n; i++ {
		b := p.all[(p.next+i)%n]
		if p.healthy[b] {
			up = append(up, b)
		} else {
			down = append(down, b)
		}
	}
	p.next++
	return append(up, down...)
}

func (p *pool) set(all []string, healthy map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range all {
		if healthy[b] != p.healthy[b] {
			log.Printf("backend %s healthy=%v", b, healthy[b])
		}
	}
	p.all, p.healthy = all, healthy
}

func readBackends(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil // not written yet: no backend
	}
	defer f.Close()
	var found []string
	scan := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for scan.Scan() {
		if line := strings.TrimSpace(scan.Text()); line != "" && !strings.HasPrefix(line, "#") {
			found = append(found, line)
		}
	}
	return found
}

func checker() *http.Client {
	return &http.Client{
		Timeout: *interval,
		Transport: &http.Transport{
			// only health is read here; clients' TLS goes end to end to the API server
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
			DisableKeepAlives: true,
		},
	}
}

func healthy(client *http.Client, backend string) bool {
	resp, err := client.Get("https://" + backend + *checkPath)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusOK
}

func watch(p *pool) {
	client := checker()
	for {
		all := readBackends(*backends)
		results := make(map[string]bool, len(all))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, b := range all {
			wg.Add(1)
			go func(b string) {
				defer wg.Done()
				ok := healthy(client, b)
				mu.Lock()
				results[b] = ok
				mu.Unlock()
			}(b)
		}
		wg.Wait()
		p.set(all, results)
		time.Sleep(*interval)
	}
}

func dial(p *pool) (net.Conn, error) {
	dialer := net.Dialer{Timeout: *dialWait}
	var last error = io.EOF
	for _, b := range p.candidates() {
		conn, err := dialer.DialContext(context.Background(), "tcp", b)
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

func pipe(dst, src net.Conn, done *sync.WaitGroup) {
	defer done.Done()
	_, _ = io.Copy(dst, src)
	if tcp, ok := dst.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
}

func serve(p *pool, client net.Conn) {
	defer client.Close()
	backend, err := dial(p)
	if err != nil {
		log.Printf("%s: no backend reachable: %v", client.RemoteAddr(), err)
		return
	}
	defer backend.Close()
	var done sync.WaitGroup
	done.Add(2)
	go pipe(backend, client, &done)
	go pipe(client, backend, &done)
	done.Wait()
}

func main() {
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.LUTC)
	p := &pool{healthy: map[string]bool{}}
	go watch(p)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen on %s: %v", *listen, err)
	}
	log.Printf("forwarding %s to the backends in %s", *listen, *backends)
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Printf("accept: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go serve(p, conn)
	}
}
