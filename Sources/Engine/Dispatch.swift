// How the coordinator hands out items and takes them back (docs/protocol.md, "Dispatch").
//
// - Lookahead: a worker holds at most about `lookaheadSeconds` of estimated work and
//   `maxLeasedBytesPerWorker` of results (at least two items), whatever credit it asked
//   for, so no worker hoards while others idle; near the end, a quarter of its share of the
//   work left (guided scheduling).
// - Tail copies: once nothing is queued, a worker with (almost) nothing to do gets a copy of
//   the item another worker will reach last (at most one copy per item); the first result
//   stored wins and the other holder is told to skip it (REVOKE).
// - Deadlines: an item running past 10x its estimate (and `itemTimeoutSeconds`) loses its
//   lease, and so do the items queued behind it on that worker, even if it heartbeats.
// - Poisoned workers: a failed item is retried on another worker; it counts as failed only
//   once it failed on two workers (or on every connected one, when nothing else is left);
//   a worker whose failures are refuted by successes elsewhere is quarantined.

import Foundation
import Profiles
import Sweep
import Wire

extension Coordinator {
    func log(_ line: String) { options.log(line) }

    /// The worker other than `w` holding `i` (the holder or the copy), if any.
    func otherHolder(of i: Int, than w: WorkerState) -> WorkerState? {
        guard case .leased(let owner, _, _) = states[i] else { return nil }
        if owner != w.id, let other = workersByID[owner], other.holds(i) { return other }
        if !copies.isEmpty, let copy = copies[i], copy != w.id, let other = workersByID[copy], other.holds(i) { return other }
        return nil
    }

    /// `w` no longer holds `i`; if it was the holder and a copy exists, the copy's worker
    /// becomes the holder.
    func dropLease(_ i: Int, from w: WorkerState) {
        if let k = w.order.firstIndex(where: { $0.item == i }) {
            w.outstanding = max(0, w.outstanding - w.order[k].estimate)
            w.outstandingBytes = max(0, w.outstandingBytes - w.order[k].bytes)
            w.order.remove(at: k)
            if w.order.isEmpty { w.outstanding = 0; w.outstandingBytes = 0 }
        }
        if !copies.isEmpty, case .leased(let owner, let attempt, let since) = states[i] {
            if copies[i] == w.id {
                copies[i] = nil
            } else if owner == w.id, let copy = copies[i] {
                states[i] = .leased(worker: copy, attempt: attempt, since: since)
                copies[i] = nil
            }
        }
    }

    /// `w` failed `i` (a FAILED message, silence, a deadline).
    func failed(_ i: Int, on w: WorkerState, message: String) {
        let stillHeld = otherHolder(of: i, than: w) != nil
        dropLease(i, from: w)
        lastErrors[i] = message
        failedOn[i, default: []].append(w.id)
        // Another worker still plays it: wait for that one.
        if stillHeld { return }
        retryOrFail(i, message: message)
    }

    /// An item that lost its last holder: queued again, or failed for good once it used
    /// its attempts and failed on two workers. One that used its attempts on one worker
    /// waits for another (`nextItem`), or fails when no worker can take it (`failParkedItems`).
    func retryOrFail(_ i: Int, message: String) {
        if Int(attempts[i]) >= options.maxAttempts && Set(failedOn[i] ?? []).count >= 2 {
            failForGood(i, message: message)
        } else {
            states[i] = .queued
            requeued.append(i)
            itemsRedone += 1
        }
    }

    func failForGood(_ i: Int, message: String) {
        let failedWorkers = Set(failedOn[i] ?? [])
        states[i] = .failed
        lastResultTime = monotonicSeconds()
        itemsFailed += 1
        let item = plan.items[i]
        pointsFailed += item.count
        failedItemPoints += item.count
        costs.finished(item)
        failedOn[i] = nil
        log("item \(i) failed after \(attempts[i]) attempts on \(failedWorkers.count) worker\(failedWorkers.count == 1 ? "" : "s"): \(jsonQuoted(message))")
        do {
            try sink.recordFailure(item: item, message: message)
        } catch {
            fatalStore = "\(error)"
            stop.request()
        }
    }

    /// Whether `w` may take re-queued item `i`: not if it failed it already and either the
    /// item used its attempts or another worker could take it.
    func mayTake(_ i: Int, _ w: WorkerState) -> Bool {
        guard let ids = failedOn[i], ids.contains(w.id) else { return true }
        if Int(attempts[i]) >= options.maxAttempts { return false }
        return !workers.values.contains { !$0.quarantined && $0 !== w && !ids.contains($0.id) }
    }

    /// Nothing is queued or leased, and no connected worker may take the re-queued items
    /// left: they used their attempts and failed on every worker there is, so they fail
    /// for good. (With no worker connected, they wait for one.)
    func failParkedItems() {
        guard !requeued.isEmpty, queueHead >= queue.count,
              workers.values.allSatisfy({ $0.order.isEmpty }) else { return }
        let active = workers.values.filter { !$0.quarantined }
        guard !active.isEmpty else { return }   // wait for a worker
        let parked = requeued.filter { i in
            states[i] == .queued && Int(attempts[i]) >= options.maxAttempts && !active.contains { mayTake(i, $0) }
        }
        guard parked.count == requeued.filter({ states[$0] == .queued }).count else { return }
        requeued.removeAll()
        for i in parked { failForGood(i, message: lastErrors[i] ?? "failed on every worker") }
    }

    /// Item `i` succeeded on `w`: workers it failed on before had their failure refuted.
    func refuteFailures(of i: Int, succeededOn w: WorkerState) {
        guard !failedOn.isEmpty, let ids = failedOn.removeValue(forKey: i) else { return }
        for id in Set(ids) where id != w.id {
            guard let bad = workersByID[id], workers[bad.peer] === bad, !bad.quarantined else { continue }
            bad.failuresRefuted += 1
            if bad.failuresRefuted >= options.quarantineAfter && bad.failuresRefuted > bad.itemsDone {
                quarantine(bad)
            }
        }
    }

    /// No more items for `w`: its items go to others (it stays connected and is shown).
    func quarantine(_ w: WorkerState) {
        w.quarantined = true
        quarantinedNames.insert(w.name)
        log("worker \(w.id) (\(jsonQuoted(w.hello.host)), pid \(w.hello.pid)) quarantined: \(w.failuresRefuted) items it failed succeeded on other workers; it gets no more items")
        creditTotal -= w.credit
        w.credit = 0
        takeBack(from: w, why: "quarantined")
    }

    /// Takes every lease of `w` back without counting an attempt (items it has not
    /// started, or cannot be trusted with), telling it to skip them.
    func takeBack(from w: WorkerState, why: String) {
        let items = w.order.map(\.item)
        guard !items.isEmpty else { return }
        for i in items {
            let stillHeld = otherHolder(of: i, than: w) != nil
            dropLease(i, from: w)
            send(.revoke(sweep: tag, id: UInt32(i)), to: w.peer)
            if !stillHeld {
                states[i] = .queued
                requeued.append(i)
                itemsRedone += 1
            }
        }
        log("worker \(w.id): \(items.count) item\(items.count == 1 ? "" : "s") re-queued (\(why))")
    }

    /// A worker gone (silent, or said hello again): its leases go back to the queue (each
    /// counts as an attempt, since it may be the item that killed it).
    func release(_ w: WorkerState, why: String) {
        let items = w.order.map(\.item)
        for i in items {
            failed(i, on: w, message: "worker \(w.hello.host):\(w.hello.pid) \(why) while playing this item")
        }
        log("worker \(w.id) lost (\(why))\(items.isEmpty ? "" : "; \(items.count) item\(items.count == 1 ? "" : "s") re-queued")")
        creditTotal -= w.credit
        w.credit = 0
        workers[w.peer] = nil
        workersByID[w.id] = nil
        lastWelcome[w.peer] = nil
    }

    func expireSilentWorkers(now: Double) {
        let limit = Double(options.timeoutMilliseconds) / 1000
        for w in workers.values where now - w.lastSeen > limit {
            release(w, why: "went silent for \(formatSeconds(now - w.lastSeen))")
        }
    }

    /// Deadlines: the item a worker plays now (the first it holds) started when it last
    /// answered or when it was leased, whichever is later.
    func expireOverdueItems(now: Double) {
        for w in workers.values {
            guard let current = w.order.first else { continue }
            let started = max(current.at, w.lastFinish)
            let deadline = max(10 * current.estimate, options.itemTimeoutSeconds)
            guard now - started > deadline else { continue }
            leasesExpired += 1
            let i = current.item
            log("worker \(w.id): item \(i) ran \(formatSeconds(now - started)), past its deadline of \(formatSeconds(deadline)) (estimate \(formatSeconds(current.estimate))); its lease expires")
            failed(i, on: w, message: "ran past its deadline (\(formatSeconds(deadline))) on worker \(w.hello.host):\(w.hello.pid)")
            send(.revoke(sweep: tag, id: UInt32(i)), to: w.peer)
            // What it holds behind that item waits as long: give it to others.
            takeBack(from: w, why: "stalled on item \(i)")
            w.lastFinish = now
            // No more items until it answers one.
            w.stalled = true
        }
    }

    /// The next queued item for `w`: re-queued items first (not one that already failed on
    /// `w` while another worker could take it), then the queue.
    func nextItem(for w: WorkerState) -> Int? {
        if !requeued.isEmpty {
            for (k, i) in requeued.enumerated() where states[i] == .queued && mayTake(i, w) {
                requeued.remove(at: k)
                return i
            }
            requeued.removeAll { states[$0] != .queued }
        }
        while queueHead < queue.count {
            let i = queue[queueHead]
            queueHead += 1
            if states[i] == .queued { return i }
        }
        return nil
    }

    func lease(_ i: Int, to w: WorkerState, now: Double) {
        if firstLeaseTime == nil { firstLeaseTime = now }
        let estimate = costs.estimate(plan.items[i]) * w.speed
        if case .leased(let owner, let attempt, let since) = states[i] {
            // A tail copy: same attempt, a second holder.
            copies[i] = w.id
            states[i] = .leased(worker: owner, attempt: attempt, since: since)
            itemsCopied += 1
            log("item \(i) copied to worker \(w.id) (worker \(owner) holds it; nothing is queued)")
        } else {
            attempts[i] += 1
            states[i] = .leased(worker: w.id, attempt: attempts[i], since: now)
            if queueHead >= queue.count && requeued.isEmpty { queueDrainedTime = now }
        }
        let bytes = costs.resultBytes(plan.items[i])
        w.order.append(Lease(item: i, at: now, estimate: estimate, bytes: bytes))
        w.outstanding += estimate
        w.outstandingBytes += bytes
        w.credit -= 1
        creditTotal -= 1
        guard case .leased(_, let attempt, _) = states[i] else { return }
        send(.item(sweep: tag, id: UInt32(i), attempt: attempt), to: w.peer)
    }

    func dispatch() {
        failParkedItems()
        // `nextWorkerID - 1` workers have joined so far.
        guard creditTotal > 0, nextWorkerID - 1 >= options.minWorkers else { return }
        let now = monotonicSeconds()
        var queueEmpty = false
        // Guided: near the end a worker holds at most a quarter of its share of the work left, so
        // the last items are spread instead of held.
        // (The work left is summed over the cost classes at most every 50 ms.)
        if now - guided.at > 0.05 {
            let active = workers.values.filter { !$0.quarantined && !$0.stalled }.count
            guided = (now, min(options.lookaheadSeconds, costs.remainingSeconds / Double(4 * max(1, active))))
        }
        let lookahead = guided.lookahead
        for w in workers.values.sorted(by: { $0.id < $1.id }) where w.credit > 0 && !w.quarantined && !w.stalled {
            while w.credit > 0 && (w.order.count < 2 || (w.outstanding < lookahead
                                                       && w.outstandingBytes < options.maxLeasedBytesPerWorker)) {
                guard let i = nextItem(for: w) else { queueEmpty = true; break }
                lease(i, to: w, now: now)
            }
        }
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        if queueEmpty { copyTail(now: now) }
    }

    /// Nothing queued: a worker with fewer than two items gets a copy of the item that the
    /// most loaded other worker would reach last.
    func copyTail(now: Double) {
        guard workers.values.contains(where: { w in w.order.contains { copies[$0.item] == nil } }) else { return }
        for w in workers.values.sorted(by: { $0.id < $1.id }) where w.credit > 0 && !w.quarantined && !w.stalled {
            while w.credit > 0 && w.order.count < 2 {
                var best: (worker: WorkerState, item: Int)? = nil
                var bestLeft = -1.0
                for other in workers.values where other !== w && !other.order.isEmpty && other.outstanding > bestLeft {
                    guard let k = other.order.lastIndex(where: { copies[$0.item] == nil && !w.holds($0.item) && !(failedOn[$0.item]?.contains(w.id) ?? false) }) else { continue }
                    let last = other.order[k]
                    // One queued behind others is copied (this worker plays it now, that one
                    // would later); the one it plays now only when it runs long (a straggler).
                    if k == 0 {
                        let expected = max(last.estimate, costs.estimate(plan.items[last.item]) * other.speed)
                        guard now - max(last.at, other.lastFinish) > 2 * expected else { continue }
                    }
                    best = (other, last.item)
                    bestLeft = other.outstanding
                }
                guard let best else { break }   // nothing for this worker; the next may differ
                lease(best.item, to: w, now: now)
            }
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    s >= 10 ? String(format: "%.0f s", s) : String(format: "%.2g s", s)
}
