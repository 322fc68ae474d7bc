package state

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
)

// ParseNames splits the server's names into DNS names and IP addresses,
// checking each, dropping duplicates and keeping the order.
func ParseNames(names []string) (dns []string, ips []net.IP, err error) {
	if len(names) == 0 {
		return nil, nil, errors.New("give at least one --name (a DNS name or an IP address clients use to reach hsmd)")
	}
	if len(names) > MaxNames {
		return nil, nil, fmt.Errorf("%d names; a certificate here holds at most %d", len(names), MaxNames)
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			if !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(n, "."))
		if err := checkDNSName(name); err != nil {
			return nil, nil, fmt.Errorf("name %q: %w", n, err)
		}
		if !slices.Contains(dns, name) {
			dns = append(dns, name)
		}
	}
	return dns, ips, nil
}

// checkDNSName accepts host names (RFC 1123 labels) and a leading "*."
// wildcard.
func checkDNSName(name string) error {
	if name == "" {
		return errors.New("empty")
	}
	if len(name) > 253 {
		return errors.New("longer than 253 characters")
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if l == "*" && i == 0 && len(labels) > 2 {
			continue
		}
		if l == "" || len(l) > 63 {
			return errors.New("each dot-separated label must be 1 to 63 characters")
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && j > 0 && j < len(l)-1) {
				return errors.New("not a DNS name or IP address (letters, digits and inner '-' only)")
			}
		}
	}
	return nil
}
