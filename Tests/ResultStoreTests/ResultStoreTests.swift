import XCTest
import ResultStore
