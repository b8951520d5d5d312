import XCTest
import Wire
