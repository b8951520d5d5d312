// Answer extraction (docs/ingestion.md, "Answers"): the last \boxed{} normalised as a
// number, or the chosen option letter; and the run-file names.

import Profiles
import XCTest

final class IngestionAnswerTests: XCTestCase {
    func testBoxedNumbers() {
        let f = AnswerFormat.boxedNumber
        let cases: [(String, String?)] = [
            ("so \\boxed{42}.", "42"),
            ("\\boxed{1,234}", "1234"),
            ("\\boxed{ 1 234 }", "1234"),
            ("\\boxed{\\$18.00}", "18"),
            ("\\boxed{$18$}", "18"),
            ("\\boxed{18.0}", "18"),
            ("\\boxed{018}", "18"),
            ("\\boxed{-0.50}", "-0.5"),
            ("\\boxed{-0}", "0"),
            ("\\boxed{+7}", "7"),
            ("\\boxed{.5}", "0.5"),
            ("\\boxed{50\\%}", "50"),
            ("\\boxed{1{,}000}", "1000"),
            ("\\boxed{18 \\text{ dollars}}", "18"),
            ("\\boxed{\\text{18}}", "18"),
            ("\\boxed{90^\\circ}", "90"),
            ("\\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}"),
            ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
            ("\\boxed{x+1}", "x+1"),
            ("first \\boxed{7} then \\boxed{8}", "8"),           // the last box counts
            ("\\boxed{\\boxed{3}}", "3"),                        // the last box starts inside
            ("\\boxed{12", nil),                                 // never closed
            ("\\boxed{}", nil),
            ("no box: the answer is 12", nil),
            ("\\fbox{12}", nil),
            ("boxed{12}", nil),                                  // no backslash: plain text
        ]
        for (text, expected) in cases {
            XCTAssertEqual(f.answer(in: text), expected, text)
        }
    }

    func testOptionLetters() {
        let f = AnswerFormat.optionLetter
        let cases: [(String, String?)] = [
            ("The answer is (C).", "C"),
            ("Answer: B", "B"),
            ("**Answer:** D", "D"),
            ("\n**Final answer:** (A)", "A"),
            ("the answer is \\boxed{B}", "B"),
            ("\\boxed{(c)}", "C"),
            ("\\boxed{\\text{D}}", "D"),
            ("The answer is (B). This answer is consistent with the data.", "B"),
            ("First \\boxed{A}. On reflection, the answer is (D).", "D"),
            ("The answer is (D). \\boxed{A}", "A"),
            ("The answer is a bit unclear.", nil),
            ("The answer is Because", nil),
            ("no letter here", nil),
            ("\\boxed{42}", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(f.answer(in: text), expected, text)
        }
    }

    func testAnswerFormatByDataset() {
        XCTAssertEqual(AnswerFormat.forDataset("gpqa"), .optionLetter)
        XCTAssertEqual(AnswerFormat.forDataset("gsm8k"), .boxedNumber)
        XCTAssertEqual(AnswerFormat.forDataset("aime"), .boxedNumber)
        XCTAssertNil(AnswerFormat.forDataset("unknown"))
    }

    func testRunFileNames() {
        let n = RunFileName(parsing: "Llama-3.1-8B--temp-0.7--samples-64--max-512.jsonl")
        XCTAssertEqual(n, RunFileName(model: "Llama-3.1-8B", temperature: "0.7", samples: 64, maxTokens: 512))
        XCTAssertEqual(n?.fileName, "Llama-3.1-8B--temp-0.7--samples-64--max-512.jsonl")
        XCTAssertEqual(RunFileName(parsing: "a--b--temp-1--samples-8--max-4096.jsonl")?.model, "a--b")
        for bad in ["M--temp-0.7--samples-64--max-512.json", "M--temp-0.7--samples-x--max-512.jsonl",
                    "M--temp-0.7--samples-0--max-512.jsonl", "--temp-0.7--samples-4--max-512.jsonl",
                    "M--samples-4--max-512.jsonl", "M--temp---samples-4--max-512.jsonl", "M.jsonl"] {
            XCTAssertNil(RunFileName(parsing: bad), bad)
        }
    }
}
