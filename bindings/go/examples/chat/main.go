// Command chat runs a multi-turn conversation on a model through the radix
// and mlx packages and prints, per turn, how many prompt tokens the
// engine's RadixAttention cache served.
//
// Each turn appends a user line to the conversation so far, finds the
// longest cached prefix (Tree.Match), computes the rest (Tree.InsertPending)
// and generates greedily, token by token, with mlx.ForwardWithCache on the
// previous handle. The whole conversation is the next turn's prompt, so
// all but the new line comes from the cache.
//
// Usage (from bindings/go, after ./scripts/build.sh):
//
//	PKG_CONFIG_PATH=$PWD/../../build/src/capi go run ./examples/chat [-m MODEL] [-n 30] [-turns 4]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	mlx "github.com/radixlm/radixlm/bindings/go/mlx"
	"github.com/radixlm/radixlm/bindings/go/radix"
)

var userLines = []string{
	"Once upon a time, there was a little girl named Lily.",
	" Lily asked her mom, \"Can we go to the park?\"",
	" Her mom said, \"Yes, but first we must eat.\"",
	" At the park, Lily saw a big dog.",
	" The dog wanted to play with a ball.",
	" Then it started to rain.",
}

func main() {
	model := flag.String("m", "", "model path (default: models/stories260K/stories260K.bin above the working directory)")
	n := flag.Int("n", 30, "tokens to generate per turn")
	turns := flag.Int("turns", 4, "turns (at most 6)")
	threads := flag.Int("t", 0, "compute threads (0 = one per CPU)")
	flag.Parse()
	if err := run(*model, *n, *turns, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func findModel() string {
	dir, _ := os.Getwd()
	for {
		p := dir + "/models/stories260K/stories260K.bin"
		if _, err := os.Stat(p); err == nil {
			return p
		}
		i := strings.LastIndex(dir, "/")
		if i <= 0 {
			return "models/stories260K/stories260K.bin"
		}
		dir = dir[:i]
	}
}

func run(path string, genTokens, turns, threads int) error {
	if path == "" {
		path = findModel()
	}
	m, err := mlx.LoadModelWithOptions(path, mlx.Options{Threads: uint32(threads)})
	if err != nil {
		return err
	}
	defer m.Close()
	tree := radix.NewTree(m, radix.Options{})
	if turns > len(userLines) {
		turns = len(userLines)
	}

	var conv []uint32 // the conversation so far: prompts and replies
	servedAll, promptAll := 0, 0
	logits := make([]float32, m.VocabSize())
	for turn := 0; turn < turns; turn++ {
		line, err := m.Tokenize(userLines[turn], turn == 0)
		if err != nil {
			return err
		}
		prompt := append(append([]uint32(nil), conv...), line...)

		// The longest cached prefix of the prompt, then the prompt itself
		// (computed from that prefix on).
		match := tree.Match(prompt)
		cached := match.Len()
		before, _ := m.Stats()
		node, err := tree.InsertPending(prompt)
		if err != nil {
			return err
		}
		if err := node.Wait(); err != nil {
			return err
		}
		tree.Unpin(match)
		after, _ := m.Stats()

		// Greedy generation, token by token on the previous handle. The
		// node's handle stays pinned (by the node) until Unpin.
		h := node.Handle()
		copy(logits, node.Logits())
		var reply []uint32
		for i := 0; i < genTokens; i++ {
			next := argmax(logits)
			if int32(next) == m.EOS() || int32(next) == m.BOS() {
				break
			}
			reply = append(reply, next)
			nh, err := mlx.ForwardWithCache(m, []uint32{next}, h, logits)
			if err != nil {
				return err
			}
			if h != node.Handle() {
				mlx.FreeCache(h)
			}
			h = nh
		}
		if h != node.Handle() {
			mlx.FreeCache(h)
		}
		tree.Unpin(node)
		conv = append(prompt, reply...)
		servedAll += cached
		promptAll += len(prompt)

		user, _ := m.Detokenize(line)
		text, _ := m.Detokenize(reply)
		fmt.Printf("turn %d: prompt %d tokens, %d served from the cache, %d computed\n",
			turn+1, len(prompt), cached, after.TokensComputed-before.TokensComputed)
		fmt.Printf("  user:  %s\n  model: %s\n", strings.TrimSpace(user), strings.TrimSpace(text))
	}
	s, _ := m.Stats()
	fmt.Printf("in all: %d of %d prompt tokens served from the cache; the engine computed %d tokens in %d forwards\n",
		servedAll, promptAll, s.TokensComputed, s.Forwards)
	return nil
}

func argmax(v []float32) uint32 {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return uint32(best)
}
