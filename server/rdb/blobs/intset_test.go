package blobs

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func collectInts(b []byte) ([]int64, error) {
	var out []int64
	err := IntsetIterate(b, func(n int64) error { out = append(out, n); return nil })
	return out, err
}

func TestIntsetVectors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want []int64
	}{
		{"int16", cat(u32(2), u32(3), []byte{0x00, 0x80, 0xFF, 0xFF, 0xFF, 0x7F}), []int64{math.MinInt16, -1, math.MaxInt16}},
		{"int32", cat(u32(4), u32(2), []byte{0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x01, 0x00}), []int64{math.MinInt32, 65536}},
		{"int64", cat(u32(8), u32(2), []byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), []int64{math.MinInt64, math.MaxInt64}},
		{"empty", cat(u32(2), u32(0)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectInts(tc.b)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestIntsetRejectsCorrupt(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"short header", []byte{2, 0, 0, 0, 1, 0, 0}},
		{"encoding 3", cat(u32(3), u32(1), []byte{1, 2, 3})},
		{"encoding 0", cat(u32(0), u32(0))},
		{"length too short", cat(u32(2), u32(2), []byte{1, 0})},
		{"length too long", cat(u32(2), u32(1), []byte{1, 0, 2, 0})},
		{"huge count", cat(u32(8), u32(0xFFFFFFFF), []byte{1, 0})},
		{"unsorted", cat(u32(2), u32(2), []byte{2, 0, 1, 0})},
		{"duplicate", cat(u32(2), u32(2), []byte{1, 0, 1, 0})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collectInts(tc.b)
			mustCorrupt(t, err)
		})
	}
	stop := errors.New("stop")
	if err := IntsetIterate(IntsetBuild([]int64{1, 2}), func(int64) error { return stop }); err != stop {
		t.Fatalf("callback error not passed through: %v", err)
	}
}

func TestIntsetBuild(t *testing.T) {
	tests := []struct {
		in    []int64
		width uint32
	}{
		{nil, 2},
		{[]int64{math.MinInt16, math.MaxInt16}, 2},
		{[]int64{math.MinInt16 - 1}, 4},
		{[]int64{1, math.MaxInt16 + 1}, 4},
		{[]int64{math.MinInt32, math.MaxInt32}, 4},
		{[]int64{math.MinInt32 - 1, 0}, 8},
		{[]int64{0, math.MaxInt32 + 1}, 8},
		{[]int64{math.MinInt64, math.MaxInt64}, 8},
	}
	for _, tc := range tests {
		b := IntsetBuild(tc.in)
		if w := b[0]; uint32(w) != tc.width {
			t.Errorf("IntsetBuild(%v) width %d, want %d", tc.in, w, tc.width)
		}
		got, err := collectInts(b)
		if err != nil || !slices.Equal(got, tc.in) {
			t.Errorf("round trip %v: got %v, %v", tc.in, got, err)
		}
	}
	// Exact bytes for a small set.
	if got, want := IntsetBuild([]int64{-2, 5}), cat(u32(2), u32(2), []byte{0xFE, 0xFF, 0x05, 0x00}); string(got) != string(want) {
		t.Errorf("IntsetBuild bytes % x, want % x", got, want)
	}
	// Unsorted input with duplicates still yields a valid intset.
	in := []int64{5, -1, 5, 3}
	got, err := collectInts(IntsetBuild(in))
	if err != nil || !slices.Equal(got, []int64{-1, 3, 5}) {
		t.Errorf("unsorted input: %v, %v", got, err)
	}
	if !slices.Equal(in, []int64{5, -1, 5, 3}) {
		t.Errorf("IntsetBuild modified its input: %v", in)
	}
}
