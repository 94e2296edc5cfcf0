% qsort: quicksort of a 50-element list with partition and difference lists (van Roy set).
% Run: swipl -q -g main -t halt bench/programs/qsort.pl
% Prints: RESULT <sorted list>, ITER <n>, TIME <seconds per run>.

qsort([X|L], R, R0) :-
    partition(L, X, L1, L2),
    qsort(L2, R1, R0),
    qsort(L1, R, [X|R1]).
qsort([], R, R).

partition([X|L], Y, [X|L1], L2) :- X =< Y, !, partition(L, Y, L1, L2).
partition([X|L], Y, L1, [X|L2]) :- partition(L, Y, L1, L2).
partition([], _, [], []).

data([27,74,17,33,94,18,46,83,65, 2,32,53,28,85,99,47,28,82, 6,11,55,29,39,81,
      90,37,10, 0,66,51, 7,21,85,27,31,63,75, 4,95,99,11,28,61,74,18,92,40,53,59, 8]).

run(S) :- data(L), qsort(L, S, []).

iterations(N) :- getenv('QSORT_ITER', S), atom_number(S, N), !.
iterations(10000).

loop(0) :- !.
loop(K) :- run(_), !, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    run(S),
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [S]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
