package clusterbus

import "sync"

// worker runs queued functions one at a time, in order, on its own goroutine.
type worker struct {
	mu    sync.Mutex
	items []func()
	wake  chan struct{}
}

func (w *worker) init() { w.wake = make(chan struct{}, 1) }

func (w *worker) push(f func()) {
	w.mu.Lock()
	w.items = append(w.items, f)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) pop() func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.items) == 0 {
		return nil
	}
	f := w.items[0]
	w.items[0] = nil
	w.items = w.items[1:]
	return f
}

// run executes items until stop is closed; what is still queued then is dropped.
func (w *worker) run(wg *sync.WaitGroup, stop <-chan struct{}) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		case <-w.wake:
		}
		for f := w.pop(); f != nil; f = w.pop() {
			select {
			case <-stop:
				return
			default:
			}
			f()
		}
	}
}
