// The ttcg executable: all behaviour lives in TTCGCommands, so tests can reach it.
import TTCGCommands

TTCGMain.main()
