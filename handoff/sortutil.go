package handoff

import "sort"

func sortByPos[T any](s []T, key func(T) int64) {
	sort.Slice(s, func(i, j int) bool { return key(s[i]) < key(s[j]) })
}
