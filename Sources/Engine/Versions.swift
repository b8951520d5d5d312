// What produced a file or a log: the library versions this process runs with.

import ResultStore
import Wire

/// `"4.3.4"`: the libzmq this process runs with.
public var libzmqVersion: String { ZMQLibrary.versionString }

/// `"1.10.8"`: the libhdf5 this process runs with.
public var libhdf5Version: String { hdf5LibraryVersion }
