% sendmore: SEND + MORE = MONEY, digits chosen one at a time from the remaining ones and
% checked column by column with carries (generate and test, deep backtracking).
% RESULT is [S,E,N,D,M,O,R,Y].
% Run: swipl -q -g main -t halt bench/programs/sendmore.pl
% Prints: RESULT <digits>, ITER <n>, TIME <seconds per run>.

sel(X, [X|T], T).
sel(X, [H|T], [H|R]) :- sel(X, T, R).

sendmore([S,E,N,D,M,O,R,Y]) :-
    Digits = [0,1,2,3,4,5,6,7,8,9],
    sel(D, Digits, R1), sel(E, R1, R2), sel(Y, R2, R3),
    Y =:= (D + E) mod 10, C1 is (D + E) // 10,
    sel(N, R3, R4), sel(R, R4, R5),
    E =:= (N + R + C1) mod 10, C2 is (N + R + C1) // 10,
    sel(O, R5, R6),
    N =:= (E + O + C2) mod 10, C3 is (E + O + C2) // 10,
    sel(S, R6, R7), S > 0, sel(M, R7, _), M > 0,
    O =:= (S + M + C3) mod 10, M =:= (S + M + C3) // 10.

iterations(N) :- getenv('SENDMORE_ITER', S), atom_number(S, N), !.
iterations(10).

loop(0) :- !.
loop(K) :- sendmore(_), !, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    sendmore(L), !,
    statistics(cputime, T0), loop(N), statistics(cputime, T1),
    T is (T1 - T0) / N,
    format("RESULT ~w~n", [L]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
