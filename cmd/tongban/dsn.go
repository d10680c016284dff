package main

import "net/url"

// withDB returns dsn pointing at database db on the same server.
func withDB(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + db
	return u.String()
}
