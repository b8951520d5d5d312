// Wire: ZeroMQ sockets for Swift and the framing of ttcg's messages (docs/protocol.md).
