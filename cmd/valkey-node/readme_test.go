package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
)

// The README's tables of directives and commands are generated from the code so that they never lie:
// TestREADMETables fails when they are out of date, and `make readme` (-update-readme) rewrites them.
var updateReadme = flag.Bool("update-readme", false, "rewrite the generated tables of README.md")

const readmePath = "../../README.md"

func TestREADMETables(t *testing.T) {
	sections := map[string]string{
		"directives": directivesTable(t),
		"commands":   commandsTable(t),
	}
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, name := range []string{"directives", "commands"} {
		begin := "<!-- BEGIN GENERATED " + name + " (make readme) -->\n"
		end := "<!-- END GENERATED " + name + " -->"
		i, j := strings.Index(text, begin), strings.Index(text, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the markers %q ... %q", strings.TrimSpace(begin), end)
		}
		current := text[i+len(begin) : j]
		if current == sections[name] {
			continue
		}
		if !*updateReadme {
			t.Errorf("the %s table in README.md is out of date: run `make readme`\n%s", name, firstDiff(current, sections[name]))
			continue
		}
		text = text[:i+len(begin)] + sections[name] + text[j:]
	}
	if *updateReadme && text != string(data) {
		if err := os.WriteFile(readmePath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md tables rewritten")
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(have, want string) string {
	a, b := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n README: %s\n   code: %s", i+1, x, y)
		}
	}
	return ""
}

// directivesTable lists every directive of a node with its default, whether CONFIG SET may change it,
// and, for directives that accept only their "off" value so far, the node's own refusal.
func directivesTable(t *testing.T) string {
	srv, err := server.New(server.Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	var b strings.Builder
	b.WriteString("| Directive | Default | CONFIG SET | Notes |\n|---|---|---|---|\n")
	dirs := append([]*config.Directive(nil), srv.Registry().All()...)
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	for _, d := range dirs {
		if d.Has(config.Hidden) {
			continue
		}
		def := "`" + d.Default + "`"
		if d.Default == "" {
			def = `""`
		}
		runtime := "yes"
		if d.Has(config.Immutable) {
			runtime = "no (start-up only)"
		}
		var notes []string
		if len(d.Aliases) > 0 {
			notes = append(notes, "alias: "+strings.Join(d.Aliases, ", "))
		}
		if d.Has(config.Sensitive) {
			notes = append(notes, "redacted in SLOWLOG/MONITOR")
		}
		// what the node says when asked for the feature's "on" value
		probes := []string{"yes"}
		if d.Has(config.Multi) {
			probes = []string{"3600 1", "yes"}
		}
		for _, probe := range probes {
			args := strings.Fields(probe)
			if err := d.Value.Set(args); err != nil && strings.Contains(err.Error(), "not supported") {
				notes = append(notes, "refused: "+err.Error())
				break
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.Name, mdCell(def), runtime, mdCell(strings.Join(notes, "; ")))
	}
	return b.String()
}

// commandsTable lists every command and subcommand as the running binary documents it (COMMAND DOCS), by
// group.
func commandsTable(t *testing.T) string {
	n := startNode(t, nodeSpec{plain: true})
	rdb := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 3, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	v, err := rdb.Do(ctx, "COMMAND", "DOCS").Result()
	if err != nil {
		t.Fatalf("COMMAND DOCS: %v", err)
	}
	docs, ok := v.(map[any]any)
	if !ok {
		t.Fatalf("COMMAND DOCS returned %T", v)
	}
	type row struct{ group, name, summary string }
	var rows []row
	var add func(name string, doc any)
	add = func(name string, doc any) {
		m, _ := doc.(map[any]any)
		group, _ := m["group"].(string)
		summary, _ := m["summary"].(string)
		rows = append(rows, row{group, strings.ToUpper(strings.ReplaceAll(name, "|", " ")), summary})
		if subs, ok := m["subcommands"].(map[any]any); ok {
			for sub, sdoc := range subs {
				add(fmt.Sprint(sub), sdoc)
			}
		}
	}
	for name, doc := range docs {
		add(fmt.Sprint(name), doc)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].group != rows[j].group {
			return rows[i].group < rows[j].group
		}
		return rows[i].name < rows[j].name
	})
	var b strings.Builder
	b.WriteString("| Group | Command | Summary |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", r.group, r.name, mdCell(r.summary))
	}
	return b.String()
}

// mdCell keeps a value inside one markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
